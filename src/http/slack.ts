// Slack's three request URLs. Each request is verified (v0 signature over the raw body; older than 5 minutes or
// more than a minute ahead is refused) before anything is parsed or stored, its shape is checked (400 naming the
// field), and only then is it handed to bolt through our receiver. The raw-body parser lives inside this plugin only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { InvalidSlackRequest, readSlackRequest, type SlackRequest } from '../console/slack/inbound';
import type { FastifyReceiver } from '../console/slack/receiver';
import type { AppDeps } from './app';
import { HttpError } from './errors';

const MAX_AGE_S = 300;
const MAX_SKEW_S = 60;

export function verifySlackSignature(secret: string, headers: Record<string, unknown>, raw: string, now: Date): void {
  const ts = String(headers['x-slack-request-timestamp'] ?? '');
  const sig = String(headers['x-slack-signature'] ?? '');
  if (!/^\d{1,12}$/.test(ts) || !sig) throw new HttpError(401, 'missing or malformed Slack signature headers');
  const age = now.getTime() / 1000 - Number(ts);
  if (age > MAX_AGE_S) throw new HttpError(401, 'Slack request timestamp is older than 5 minutes');
  if (age < -MAX_SKEW_S) throw new HttpError(401, 'Slack request timestamp is in the future');
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${ts}:${raw}`).digest('hex')}`);
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new HttpError(401, 'Slack signature does not match');
}

function read(kind: 'events' | 'commands' | 'interactions', raw: string, counted: () => void): SlackRequest {
  try {
    return readSlackRequest(kind, raw);
  } catch (err) {
    if (!(err instanceof InvalidSlackRequest)) throw err;
    counted();
    throw new HttpError(400, `malformed Slack ${kind} request: ${err.message}`);
  }
}

export async function slackRoutes(app: FastifyInstance, deps: AppDeps & { slack: { receiver: FastifyReceiver; signingSecret: string } }) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  for (const kind of ['events', 'commands', 'interactions'] as const) {
    app.post(`/webhooks/slack/${kind}`, async (req, reply) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      try {
        verifySlackSignature(deps.slack.signingSecret, req.headers, raw, deps.core.clock.now());
      } catch (err) {
        deps.metrics.inbound.inc({ channel: 'slack', outcome: 'unauthorized' });
        throw err;
      }
      const request = read(kind, raw, () => deps.metrics.inbound.inc({ channel: 'slack', outcome: 'invalid' }));
      if (request.kind === 'challenge') return { challenge: request.challenge };
      if (request.kind === 'notice') {
        if (request.what === 'app_rate_limited') deps.core.log.warn({}, 'Slack is rate limiting our events and dropping some');
        return '';
      }
      const retryNum = Number(req.headers['x-slack-retry-num']);
      const r = await deps.slack.receiver.dispatch(kind, request.body, {
        num: Number.isInteger(retryNum) && retryNum > 0 ? retryNum : undefined,
        reason: typeof req.headers['x-slack-retry-reason'] === 'string' ? req.headers['x-slack-retry-reason'] : undefined,
      });
      deps.metrics.inbound.inc({ channel: 'slack', outcome: kind });
      reply.code(r.status);
      if (r.body === '' || r.body === undefined) return reply.send('');
      return typeof r.body === 'string' ? reply.type('text/plain').send(r.body) : reply.send(r.body);
    });
  }
}
