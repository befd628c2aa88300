// The steps a client message takes into core, shared by the signed webhook and the chat widget: the body read as
// JSON that PostgreSQL can store, normalised, ingested, counted, and answered in the webhook's documented shape.
import type { ChannelDeps } from '../../src/channels/module';
import { HttpError } from '../../src/http/errors';
import { assertStorable } from '../../src/http/input';
import type { InappConfig } from './config';
import { InvalidPayload, normalize } from './normalize';

type Deps = ChannelDeps<InappConfig>;

export function storableJson(raw: Buffer, metrics: Deps['metrics']): unknown {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    metrics.inbound.inc({ channel: 'inapp', outcome: 'malformed' });
    throw new HttpError(400, `malformed JSON: ${(err as Error).message}`);
  }
  assertStorable(body);
  return body;
}

/** An in-app message (the webhook's shape) into core; `started` is when the request came in, for the metric. */
export async function takeMessage(deps: Deps, message: unknown, started: bigint) {
  let envelope;
  try {
    envelope = normalize(message, deps.clock.now());
  } catch (err) {
    if (!(err instanceof InvalidPayload)) throw err;
    deps.metrics.inbound.inc({ channel: 'inapp', outcome: 'invalid' });
    throw new HttpError(400, err.message);
  }
  const out = await deps.ingest(envelope);
  deps.metrics.inbound.inc({ channel: 'inapp', outcome: out.status });
  deps.metrics.ingestSeconds.observe({ channel: 'inapp' }, Number(process.hrtime.bigint() - started) / 1e9);
  return out.status === 'stored'
    ? { status: out.status, case: { id: out.caseId, number: out.caseNumber, opened: out.opened, reopened: out.reopened }, messageId: out.messageId }
    : { status: out.status };
}
