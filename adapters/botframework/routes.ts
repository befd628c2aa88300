// POST /webhooks/botframework (SPEC §7): the Bot Framework JWT is checked before anything is stored, then the activity
// goes to core and the answer waits for its commit — never for outbound work, which the outbox does (a non-2xx would
// make the channel deliver the activity again, and CloudAdapter-style "reply inside the turn" turns an outbound
// failure into a failed inbound one). The raw-body parser lives inside this plugin only.
import type { FastifyInstance } from 'fastify';
import type { IngestOutcome } from '../../src/core/intake';
import type { Clock, InboundEnvelope, Logger } from '../../src/core/ports';
import { HttpError } from '../../src/http/errors';
import { assertStorable } from '../../src/http/input';
import type { Metrics } from '../../src/http/metrics';
import { AuthError, type RequestVerifier } from './auth';
import { InvalidActivity, normalizeActivity } from './normalize';

export const WEBHOOK_PATH = '/webhooks/botframework';

export interface RouteDeps {
  verify: RequestVerifier;
  /** False only under BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true. */
  authenticated: boolean;
  ingest(env: InboundEnvelope): Promise<IngestOutcome>;
  /** After a message is stored: its conversation's open cases follow a service URL that changed. */
  keepServiceUrl(env: InboundEnvelope): Promise<void>;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
}

export function botframeworkRoutes(d: RouteDeps) {
  const count = (outcome: string) => d.metrics.inbound.inc({ channel: 'botframework', outcome });
  const refuse = (reason: string, message: string): never => {
    count('unauthorized');
    // The reason only: never the token, never the activity.
    d.log.warn({ channel: 'botframework', reason }, 'botframework: request refused');
    throw new HttpError(401, `unauthorized: ${message}`);
  };

  return async function routes(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post(WEBHOOK_PATH, { config: { verifiedWebhook: true } }, async (req) => {
      const started = process.hrtime.bigint();
      const authorization = req.headers.authorization;
      // A request that can't carry a channel token is refused before its body is read at all. The token's own checks
      // need the activity's channelId and serviceUrl, so the body is parsed for them, then nothing else is looked at
      // until the token holds.
      if (d.authenticated && !/^Bearer \S/.test(authorization ?? '')) refuse('missing_token', 'a Bot Framework channel token (Authorization: Bearer) is required');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        count('malformed');
        throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
      }
      let verified;
      try {
        verified = await d.verify(authorization, body);
      } catch (err) {
        if (err instanceof AuthError) return refuse(err.reason, err.message);
        throw err;
      }
      assertStorable(body);
      let normalized;
      try {
        normalized = normalizeActivity(body, verified, d.clock.now());
      } catch (err) {
        if (!(err instanceof InvalidActivity)) throw err;
        count('invalid');
        throw new HttpError(400, `not a Bot Framework activity: ${err.message}`);
      }
      if (normalized.kind === 'ignored') {
        count('ignored');
        return { status: 'ignored', reason: normalized.reason };
      }
      const out = await d.ingest(normalized.envelope);
      if (out.status === 'stored' || out.status === 'command') await d.keepServiceUrl(normalized.envelope);
      count(normalized.welcome ? 'welcome' : out.status);
      d.metrics.ingestSeconds.observe({ channel: 'botframework' }, Number(process.hrtime.bigint() - started) / 1e9);
      return out.status === 'stored'
        ? { status: out.status, case: { id: out.caseId, number: out.caseNumber, opened: out.opened, reopened: out.reopened }, messageId: out.messageId }
        : { status: out.status };
    });
  };
}
