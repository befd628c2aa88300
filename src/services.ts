// Composition shared by main.ts, the tests and the benchmark: database → core → adapters → http → jobs.
import type { FastifyInstance } from 'fastify';
import { createInappAdapter } from '../adapters/inapp';
import { LogConsole } from './console/log-console';
import type { Core } from './core/context';
import { DEFAULT_DELIVERY, type DeliveryPolicy } from './core/effects';
import type { ChannelAdapter, Clock, Logger, ManagerConsole } from './core/ports';
import { systemClock } from './core/ports';
import type { Database } from './db/connect';
import { DrizzleStore } from './db/store';
import { buildApp } from './http/app';
import { createMetrics, type Metrics } from './http/metrics';
import { JobRunner, type JobOptions } from './jobs/runner';

export interface ServiceOptions {
  database: Database;
  log: Logger;
  adminToken: string;
  clock?: Clock;
  bodyLimit?: number;
  inapp?: { secret: string; callbackUrl?: string };
  delivery?: Partial<DeliveryPolicy>;
  jobs?: Partial<JobOptions>;
  console?: ManagerConsole;
}

export interface Service {
  core: Core;
  app: FastifyInstance;
  jobs: JobRunner;
  metrics: Metrics;
  console: ManagerConsole;
  channels: Map<string, ChannelAdapter>;
}

export async function createService(o: ServiceOptions): Promise<Service> {
  const core: Core = {
    store: new DrizzleStore(o.database.db, o.database.kind),
    clock: o.clock ?? systemClock,
    log: o.log,
    delivery: { ...DEFAULT_DELIVERY, ...o.delivery },
  };
  const channels = new Map<string, ChannelAdapter>();
  if (o.inapp) channels.set('inapp', createInappAdapter({ ...o.inapp, now: () => core.clock.now() }));
  const metrics = createMetrics();
  const managerConsole = o.console ?? new LogConsole(o.log);
  const app = await buildApp({
    core, database: o.database, metrics, adminToken: o.adminToken, bodyLimit: o.bodyLimit ?? 1024 * 1024,
    inapp: o.inapp ? { secret: o.inapp.secret } : undefined,
  });
  const jobs = new JobRunner(core, { channels, console: managerConsole }, { tickMs: 1000, pollMs: 500, leaseMs: 60_000, batch: 100, ...o.jobs }, (kind, n) => {
    if (kind === 'tick' && n) metrics.slaAlerts.inc(n);
    if (kind === 'drain') metrics.outboxBacklog.set(n);
  });
  return { core, app, jobs, metrics, console: managerConsole, channels };
}
