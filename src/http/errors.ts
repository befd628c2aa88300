import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CommandError } from '../core/commands';
import type { Logger } from '../core/ports';
import { pgCode } from '../db/store';
import { describeError } from '../core/errors';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const COMMAND_STATUS = { not_found: 404, invalid: 400, conflict: 409 } as const;

/** Connection-level failures: the database is down or unreachable, so the caller should retry later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgCode(err) ?? '';
  if (/^(08|57P0|53)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(code)) return true;
  // Query errors from the ORM wrap the driver's error as `cause`; their own "Failed query: ..." message embeds the
  // parameters (client text), so only the driver's messages are matched. "… is not queryable": a checked-out client
  // whose server went away between two queries (the rollback after it fails with that).
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++)
    if (typeof e.message === 'string' && !e.message.startsWith('Failed query:') && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|is not queryable|PGlite is closed|Cannot use a pool after calling end/i.test(e.message)) return true;
  return false;
}

export function errorHandler(log: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message });
    if (err instanceof CommandError) return reply.code(COMMAND_STATUS[err.code]).send({ error: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'body exceeds the size limit' });
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: 'unsupported content type; send application/json' });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    if (isDatabaseUnavailable(err)) {
      log.error({ route: req.routeOptions.url, err: describeError(err) }, 'database unavailable');
      return reply.code(503).header('retry-after', '5').send({ error: 'database unavailable; retry later' });
    }
    log.error({ route: req.routeOptions.url, err: describeError(err) }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  };
}
