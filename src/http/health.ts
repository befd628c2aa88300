import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './app';
import { describeError } from '../core/errors';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.database.ping();
      return { status: 'ready', database: deps.database.kind };
    } catch (err) {
      deps.core.log.error({ err: describeError(err) }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', database: deps.database.kind });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
