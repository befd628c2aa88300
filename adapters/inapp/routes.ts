// The vendor's in-app chat (SPEC §7): the webhook and the read-back. Verified before anything is parsed or stored;
// the raw-body parser lives inside this plugin only, so other routes keep fastify's JSON parser.
import type { FastifyInstance } from 'fastify';
import type { ChannelDeps } from '../../src/channels/module';
import { HttpError } from '../../src/http/errors';
import { assertStorable } from '../../src/http/input';
import { conversationKey } from './address';
import type { InappConfig } from './config';
import { storableJson, takeMessage } from './intake';
import { SignatureError, verify } from './signature';

export async function inappRoutes(app: FastifyInstance, deps: ChannelDeps<InappConfig>) {
  const { metrics, clock } = deps;
  const secret = deps.config.INAPP_SECRET;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const check = (req: { headers: Record<string, unknown>; method: string; url: string }, body?: Buffer) => {
    try {
      verify(secret, req.headers, { method: req.method, path: req.url, body }, clock.now());
    } catch (err) {
      if (err instanceof SignatureError) {
        metrics.inbound.inc({ channel: 'inapp', outcome: 'unauthorized' });
        throw new HttpError(401, `invalid signature: ${err.message}`);
      }
      throw err;
    }
  };

  app.post('/webhooks/inapp', { config: { verifiedWebhook: true } }, async (req) => {
    const started = process.hrtime.bigint();
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    check(req, raw);
    return takeMessage(deps, storableJson(raw, metrics), started);
  });

  app.get<{ Params: { accountId: string }; Querystring: { after?: string | string[]; limit?: string | string[] } }>(
    '/api/v1/inapp/accounts/:accountId/messages',
    { config: { verifiedWebhook: true } },
    async (req) => {
      check(req);
      assertStorable(req.params.accountId, 'accountId');
      if (Array.isArray(req.query.after) || Array.isArray(req.query.limit)) throw new HttpError(400, 'after and limit may be given once each');
      const after = req.query.after === undefined || req.query.after === '' ? 0 : Number(req.query.after);
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isSafeInteger(after) || after < 0) throw new HttpError(400, `after must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (the seq of the last message you have)`);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'limit must be an integer from 1 to 500');
      const messages = await deps.readback(conversationKey(req.params.accountId), after, limit, { identityAccount: req.params.accountId });
      return { messages, next: messages.length ? messages[messages.length - 1].seq : after };
    },
  );
}
