// buildApp(deps) returns a fastify instance and never listens: tests use inject(), main.ts listens.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { enterRequest } from './request-context';
import type { Core } from '../core/context';
import type { ChannelInstance } from '../channels/module';
import type { Database } from '../db/connect';
import { adminRoutes } from './admin';
import { boardRoutes } from './board';
import { docsRoutes, registerOpenApi } from './docs';
import { errorHandler } from './errors';
import { healthRoutes } from './health';
import { inputGuards } from './input';
import { slackRoutes } from './slack';
import type { FastifyReceiver } from '../console/slack/receiver';
import type { Metrics } from './metrics';

export interface AppDeps {
  core: Core;
  database: Database;
  metrics: Metrics;
  /** Hex SHA-256 of the admin bearer token (instances sharing a database may only know the hash). */
  adminTokenSha256: string;
  bodyLimit: number;
  /** Enabled client channels: their inbound routes, and where a link code is redeemed on each. */
  channels?: { name: string; instance: ChannelInstance }[];
  slack?: { receiver: FastifyReceiver; signingSecret: string };
}

export interface RouteInfo {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, for the tests that walk them all (auth on every admin route, the fuzz run). */
    routeList: RouteInfo[];
  }
  // Named here since @fastify/swagger declares keys of its own in this interface (an empty one took anything).
  interface FastifyContextConfig {
    /** A webhook that verifies its signature before anything is parsed: the input guards leave it to do so. */
    verifiedWebhook?: boolean;
    /** A board route open without a board session: the sign-in page. */
    boardPublic?: boolean;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // No request logging: it halves throughput and would put client metadata on every line; errors are logged.
    logger: false,
    bodyLimit: deps.bodyLimit,
    trustProxy: true,
    // A caller's own id is kept (traces across the vendor's systems), when it looks like one.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    },
  });
  app.addHook('onRequest', async (req, reply) => {
    enterRequest(req.id);
    reply.header('x-request-id', req.id);
  });
  const routes: RouteInfo[] = [];
  app.decorate('routeList', routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  app.setErrorHandler(errorHandler(deps.core.log));
  inputGuards(app);
  await registerOpenApi(app);
  await app.register(healthRoutes, deps);
  // Each channel's routes in a plugin of their own: a channel's raw-body parser never reaches another's routes.
  for (const c of deps.channels ?? []) if (c.instance.routes) await app.register(async (scope) => c.instance.routes!(scope));
  if (deps.slack) await app.register(slackRoutes, { ...deps, slack: deps.slack });
  await app.register(adminRoutes, { ...deps, prefix: '/api/v1' });
  await app.register(docsRoutes);
  await app.register(boardRoutes, deps);
  return app;
}
