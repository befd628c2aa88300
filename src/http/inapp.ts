// The vendor's in-app chat (SPEC §7). Verified before anything is parsed or stored; the raw-body parser lives
// inside this plugin only, so other routes keep fastify's JSON parser.
import type { FastifyInstance } from 'fastify';
import { InvalidPayload, normalize, SignatureError, verify } from '../../adapters/inapp';
import { ingest } from '../core/intake';
import { accountMessages } from '../db/read-models';
import type { AppDeps } from './app';
import { HttpError } from './errors';

export async function inappRoutes(app: FastifyInstance, deps: AppDeps & { inapp: { secret: string } }) {
  const { core, metrics } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const check = (headers: Record<string, unknown>, payload: Buffer | string) => {
    try {
      verify(deps.inapp.secret, headers, payload, core.clock.now());
    } catch (err) {
      if (err instanceof SignatureError) {
        metrics.inbound.inc({ channel: 'inapp', outcome: 'unauthorized' });
        throw new HttpError(401, `invalid signature: ${err.message}`);
      }
      throw err;
    }
  };

  app.post('/webhooks/inapp', async (req) => {
    const started = process.hrtime.bigint();
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    check(req.headers, raw);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      metrics.inbound.inc({ channel: 'inapp', outcome: 'malformed' });
      throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
    }
    let envelope;
    try {
      envelope = normalize(body, core.clock.now());
    } catch (err) {
      if (err instanceof InvalidPayload) {
        metrics.inbound.inc({ channel: 'inapp', outcome: 'invalid' });
        throw new HttpError(400, err.message);
      }
      throw err;
    }
    const out = await ingest(core, envelope);
    metrics.inbound.inc({ channel: 'inapp', outcome: out.status });
    metrics.ingestSeconds.observe({ channel: 'inapp' }, Number(process.hrtime.bigint() - started) / 1e9);
    return out.status === 'stored'
      ? { status: out.status, case: { id: out.caseId, number: out.caseNumber, opened: out.opened, reopened: out.reopened }, messageId: out.messageId }
      : { status: out.status };
  });

  app.get<{ Params: { accountId: string }; Querystring: { after?: string; limit?: string } }>(
    '/api/v1/inapp/accounts/:accountId/messages',
    async (req) => {
      check(req.headers, req.url);
      const after = req.query.after === undefined || req.query.after === '' ? 0 : Number(req.query.after);
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isInteger(after) || after < 0) throw new HttpError(400, 'after must be a non-negative integer (the seq of the last message you have)');
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'limit must be an integer from 1 to 500');
      const messages = await accountMessages(deps.database.db, req.params.accountId, after, limit, core.clock.now());
      return { messages, next: messages.length ? messages[messages.length - 1].seq : after };
    },
  );
}
