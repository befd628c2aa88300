// Composition shared by main.ts, the tests and the benchmark: database → core → adapters → http → jobs.
import type { FastifyInstance } from 'fastify';
import { CHANNEL_MODULES } from '../adapters';
import { enabledChannels } from './channels/enable';
import type { ChannelInstance } from './channels/module';
import { channelState } from './channels/state';
import { LogConsole } from './console/log-console';
import { alertLead, ingest } from './core/intake';
import { conversationMessages } from './db/readback';
import { ReceiverRunner, type ReceiverOptions } from './jobs/receivers';
import type { Core } from './core/context';
import { DEFAULT_DELIVERY, type DeliveryPolicy } from './core/effects';
import type { ChannelAdapter, Clock, Logger, ManagerConsole } from './core/ports';
import { systemClock } from './core/ports';
import type { Database } from './db/connect';
import { DrizzleStore } from './db/store';
import { registerDatabaseGauges } from './db/metrics';
import { Wakeup } from './jobs/wakeup';

/** The channel that wakes outbox drainers on every instance. */
const OUTBOX_CHANNEL = 'sb_outbox';
import { describeError } from './core/errors';
import { buildApp } from './http/app';
import { withRequestIds } from './http/request-context';
import { sha256 } from './admin-token';
import { createMetrics, type Metrics } from './http/metrics';
import { JobRunner, type JobOptions } from './jobs/runner';
import { createSlackApp } from './console/slack/app';
import type { SlackConfig } from './console/slack/config';
import { SlackConsole } from './console/slack/console';
import { SlackData } from './console/slack/data';
import type { FastifyReceiver } from './console/slack/receiver';
import { createWebClient } from './console/slack/web';

export interface ServiceOptions {
  database: Database;
  log: Logger;
  /** The admin bearer token, or only its hex SHA-256. */
  adminToken?: string;
  adminTokenSha256?: string;
  clock?: Clock;
  bodyLimit?: number;
  /** The environment channel modules read (INAPP_SECRET, TELEGRAM_BOT_TOKEN, ...): a channel is on when it is set. */
  channelEnv?: Record<string, string | undefined>;
  /** Where platforms reach the service (PUBLIC_URL). */
  publicUrl?: string;
  receivers?: ReceiverOptions;
  delivery?: Partial<DeliveryPolicy>;
  jobs?: Partial<JobOptions>;
  console?: ManagerConsole;
  slack?: SlackConfig;
}

export interface Service {
  core: Core;
  app: FastifyInstance;
  jobs: JobRunner;
  metrics: Metrics;
  console: ManagerConsole;
  channels: Map<string, ChannelAdapter>;
  /** The enabled channel modules' instances, in registry order. */
  channelInstances: { name: string; instance: ChannelInstance }[];
  receivers: ReceiverRunner;
  slack: SlackConsole | null;
  /** Runs the channels' start-up steps (registering webhooks); after the server listens. */
  startChannels(): Promise<void>;
  /** The background work of a running instance: SLA ticker, outbox drainer (woken by commits and NOTIFY), receivers. */
  startBackground(): Promise<void>;
  stopBackground(): Promise<void>;
  /** Stops the receivers and what the channels opened. */
  closeChannels(): Promise<void>;
}

export async function createService(opts: ServiceOptions): Promise<Service> {
  const o = { ...opts, log: withRequestIds(opts.log) };
  const metrics = createMetrics();
  const store = new DrizzleStore(o.database.db, o.database.kind, {
    onBatch: (size, retried) => {
      metrics.ingestBatch.observe(size);
      if (retried) metrics.ingestBatchRetried.inc();
    },
  });
  const core: Core = {
    store,
    clock: o.clock ?? systemClock,
    log: o.log,
    delivery: { ...DEFAULT_DELIVERY, ...o.delivery },
  };
  registerDatabaseGauges(metrics, o.database.db);
  const { enabled, problems } = enabledChannels(o.channelEnv ?? {}, CHANNEL_MODULES);
  if (problems.length) throw new Error(`channel configuration is not valid: ${problems.join('; ')}`);
  let slackConsole: SlackConsole | null = null;
  let slackHttp: { receiver: FastifyReceiver; signingSecret: string } | undefined;
  const shared: Record<string, unknown> = {};
  if (o.slack) {
    const client = createWebClient(o.slack);
    const data = new SlackData(o.database.db);
    slackConsole = new SlackConsole(client, data, o.slack, core.clock, o.log);
    const slackDeps = { core, cfg: o.slack, client, data, console: slackConsole };
    const { app, receiver } = createSlackApp(slackDeps);
    slackHttp = { receiver, signingSecret: o.slack.signingSecret };
    // Slack Connect clients are answered through the console's own app, Web API client and records.
    shared.slack = { ...slackDeps, app };
  }
  const channelInstances: { name: string; instance: ChannelInstance }[] = [];
  for (const { module, config } of enabled) {
    const name = module.name;
    const instance = await module.create({
      config, clock: core.clock, log: o.log, metrics, publicUrl: o.publicUrl ?? null, bodyLimit: o.bodyLimit ?? 1024 * 1024,
      ingest: (env) => ingest(core, env),
      state: channelState(o.database.db, name),
      readback: (key, after, limit, opts) => conversationMessages(o.database.db, key, name, after, limit, opts?.identityAccount),
      moveConversation: (from, to) => core.store.tx((tx) => tx.moveConversation(name, from, to)),
      conversationOf: (ref) => core.store.tx((tx) => tx.conversationOf(name, ref)),
      alertLead: (text) => alertLead(core, name, text),
      shared,
    });
    channelInstances.push({ name, instance });
  }
  const channels = new Map<string, ChannelAdapter>(channelInstances.map((c) => [c.name, c.instance.adapter]));
  // Without Slack the log (and the case timeline) is the console, and the admin API is how managers act.
  const managerConsole = o.console ?? slackConsole ?? new LogConsole(o.log);
  const app = await buildApp({
    core, database: o.database, metrics, adminTokenSha256: o.adminTokenSha256 ?? sha256(o.adminToken ?? ''), bodyLimit: o.bodyLimit ?? 1024 * 1024,
    channels: channelInstances,
    slack: slackHttp,
  });
  const jobs = new JobRunner(core, { channels, console: managerConsole }, { tickMs: 1000, pollMs: 500, leaseMs: 15_000, batch: 100, ...o.jobs }, {
    alert: (type, lagMs) => {
      metrics.slaAlerts.inc({ type });
      metrics.slaAlertLag.observe(Math.max(0, lagMs) / 1000);
    },
    claimed: (n) => metrics.outboxBacklog.set(n),
    delivery: (target, result) => metrics.outbound.inc({ target, result }),
    itemError: (job) => metrics.jobErrors.inc({ job }),
    inFlight: (lane, n) => metrics.outboxInFlight.set({ lane }, n),
  });
  // A commit that queued deliveries drains them at once instead of at the next poll, here and on other instances.
  const wakeup = new Wakeup(
    () => jobs.wakeDrainer(),
    () => o.database.notify(OUTBOX_CHANNEL),
    (err) => o.log.warn({ err: describeError(err) }, 'NOTIFY for queued work failed; the other instances poll'),
  );
  store.onOutboxQueued = () => wakeup.queued();
  let listening: { close(): Promise<void> } | null = null;
  const receivers = new ReceiverRunner(
    o.database.db,
    channelInstances.flatMap((c) => (c.instance.receivers ?? []).map((receiver) => ({ channel: c.name, receiver }))),
    o.log,
    o.receivers,
    (name, held) => metrics.receiverHeld.set({ receiver: name }, held ? 1 : 0),
  );
  return {
    core, app, jobs, metrics, console: managerConsole, channels, channelInstances, receivers, slack: slackConsole,
    startChannels: async () => {
      for (const c of channelInstances) await c.instance.startup?.();
    },
    closeChannels: async () => {
      await receivers.stop();
      for (const c of channelInstances) await c.instance.close?.();
    },
    startBackground: async () => {
      jobs.start();
      receivers.start();
      listening = await o.database.listen(OUTBOX_CHANNEL, () => jobs.wakeDrainer(), (err) => o.log.warn({ err: describeError(err) }, 'LISTEN for queued work failed; polling covers it'));
    },
    stopBackground: async () => {
      wakeup.stop();
      await listening?.close();
      await receivers.stop();
      await jobs.stop();
    },
  };
}
