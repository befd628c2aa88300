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
  inapp?: { secret: string; callbackUrl?: string };
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
  slack: SlackConsole | null;
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
  let slackConsole: SlackConsole | null = null;
  let slackHttp: { receiver: FastifyReceiver; signingSecret: string } | undefined;
  if (o.slack) {
    const client = createWebClient(o.slack);
    const data = new SlackData(o.database.db);
    slackConsole = new SlackConsole(client, data, o.slack, core.clock, o.log);
    const { receiver } = createSlackApp({ core, cfg: o.slack, client, data, console: slackConsole });
    slackHttp = { receiver, signingSecret: o.slack.signingSecret };
  }
  // Without Slack the log (and the case timeline) is the console, and the admin API is how managers act.
  const managerConsole = o.console ?? slackConsole ?? new LogConsole(o.log);
  const app = await buildApp({
    core, database: o.database, metrics, adminTokenSha256: o.adminTokenSha256 ?? sha256(o.adminToken ?? ''), bodyLimit: o.bodyLimit ?? 1024 * 1024,
    inapp: o.inapp ? { secret: o.inapp.secret } : undefined,
    slack: slackHttp,
  });
  const jobs = new JobRunner(core, { channels, console: managerConsole }, { tickMs: 1000, pollMs: 500, leaseMs: 15_000, batch: 100, ...o.jobs }, {
    alertsFired: (n) => metrics.slaAlerts.inc(n),
    claimed: (n) => metrics.outboxBacklog.set(n),
    delivery: (target, result) => metrics.outbound.inc({ target, result }),
    itemError: (job) => metrics.jobErrors.inc({ job }),
    inFlight: (lane, n) => metrics.outboxInFlight.set({ lane }, n),
  });
  return { core, app, jobs, metrics, console: managerConsole, channels, slack: slackConsole };
}
