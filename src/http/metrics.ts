import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests with several apps in one process don't collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    inbound: new Counter({ name: 'switchboard_inbound_total', help: 'Inbound deliveries by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] }),
    outbound: new Counter({ name: 'switchboard_outbox_total', help: 'Outbox deliveries by target and result', labelNames: ['target', 'result'], registers: [registry] }),
    slaAlerts: new Counter({ name: 'switchboard_sla_alerts_total', help: 'SLA alerts fired, by type (sla_warning, sla_breach, eta_missed, milestone_missed)', labelNames: ['type'], registers: [registry] }),
    slaAlertLag: new Histogram({
      name: 'switchboard_sla_alert_lag_seconds', help: 'How long after its due moment an SLA alert fired',
      buckets: [0.1, 0.5, 1, 2, 5, 15, 60, 300], registers: [registry],
    }),
    receiverHeld: new Gauge({ name: 'switchboard_receiver_held', help: 'Single-instance receivers this instance runs (1) or not (0)', labelNames: ['receiver'], registers: [registry] }),
    receiverConnected: new Gauge({
      name: 'switchboard_receiver_connected', help: 'Whether a receiver is connected to its platform (IMAP, long polling)', labelNames: ['receiver'], registers: [registry],
    }),
    ingestSeconds: new Histogram({ name: 'switchboard_ingest_seconds', help: 'Inbound webhook handling time', labelNames: ['channel'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] }),
    ingestBatch: new Histogram({
      name: 'switchboard_ingest_batch_size', help: 'Messages written together by one group commit (PostgreSQL)',
      buckets: [1, 2, 4, 8, 16, 32, 64], registers: [registry],
    }),
    ingestBatchRetried: new Counter({
      name: 'switchboard_ingest_batch_retried_total', help: 'Group commits that failed as a whole and were retried message by message', registers: [registry],
    }),
    outboxBacklog: new Gauge({ name: 'switchboard_outbox_claimed', help: 'Rows claimed by the last drain pass', registers: [registry] }),
    outboxInFlight: new Gauge({ name: 'switchboard_outbox_in_flight', help: 'Outbox sends in flight by lane (console, or a client channel)', labelNames: ['lane'], registers: [registry] }),
    jobErrors: new Counter({
      name: 'switchboard_job_errors_total', help: 'SLA clocks and outbox rows whose processing threw unexpectedly (recorded, set aside, retried)',
      labelNames: ['job'], registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
