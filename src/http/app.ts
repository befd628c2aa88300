// buildApp(deps) returns a fastify instance and never listens: tests use inject(), main.ts listens.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Core } from '../core/context';
import type { Database } from '../db/connect';
import { adminRoutes } from './admin';
import { errorHandler } from './errors';
import { healthRoutes } from './health';
import { inappRoutes } from './inapp';
import { slackRoutes } from './slack';
import type { FastifyReceiver } from '../console/slack/receiver';
import type { Metrics } from './metrics';

export interface AppDeps {
  core: Core;
  database: Database;
  metrics: Metrics;
  adminToken: string;
  bodyLimit: number;
  inapp?: { secret: string };
  slack?: { receiver: FastifyReceiver; signingSecret: string };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // No request logging: it halves throughput and would put client metadata on every line; errors are logged.
    logger: false,
    bodyLimit: deps.bodyLimit,
    trustProxy: true,
  });
  app.setErrorHandler(errorHandler(deps.core.log));
  await app.register(healthRoutes, deps);
  if (deps.inapp) await app.register(inappRoutes, { ...deps, inapp: deps.inapp });
  if (deps.slack) await app.register(slackRoutes, { ...deps, slack: deps.slack });
  await app.register(adminRoutes, { ...deps, prefix: '/api/v1' });
  return app;
}
