// POST /webhooks/telegram: the secret token is checked before the body is even parsed (SPEC §7), then the update
// goes to core and the answer waits for its commit — a non-2xx (database down) makes Telegram deliver it again.
// The raw-body parser lives inside this plugin only.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../src/http/errors';
import { assertStorable } from '../../src/http/input';
import type { Logger } from '../../src/core/ports';
import type { Metrics } from '../../src/http/metrics';
import { fileRoutes, type FileRouteDeps } from './files';
import type { UpdateHandler } from './receive';
import { InvalidUpdate, parseUpdate } from './update';
import { SECRET_HEADER, secretMatches } from './verify';

export const WEBHOOK_PATH = '/webhooks/telegram';

export interface RouteDeps {
  secret: string;
  log: Logger;
  handler: UpdateHandler;
  metrics: Metrics;
  files: FileRouteDeps;
}

export function telegramRoutes(d: RouteDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post(WEBHOOK_PATH, { config: { verifiedWebhook: true } }, async (req) => {
      if (!secretMatches(d.secret, req.headers[SECRET_HEADER])) {
        d.metrics.inbound.inc({ channel: 'telegram', outcome: 'unauthorized' });
        throw new HttpError(401, `missing or wrong ${SECRET_HEADER} header`);
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        d.metrics.inbound.inc({ channel: 'telegram', outcome: 'malformed' });
        throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
      }
      assertStorable(body);
      let update;
      try {
        update = parseUpdate(body);
      } catch (err) {
        if (!(err instanceof InvalidUpdate)) throw err;
        d.metrics.inbound.inc({ channel: 'telegram', outcome: 'invalid' });
        if (err.updateId === null) throw new HttpError(400, `not a Telegram update: ${err.message}`);
        // Telegram retries an update we refuse, and holds back the ones after it meanwhile: one we can't read is
        // taken (and logged, without its content) so the chat keeps flowing.
        d.log.warn({ channel: 'telegram', updateId: err.updateId, err: err.message }, 'telegram: skipped an update we cannot read');
        return { status: 'ignored' };
      }
      return d.handler.receive(update);
    });

    await app.register(fileRoutes, d.files);
  };
}
