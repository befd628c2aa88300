// Delivery to the vendor's callback URL as a signed POST (same scheme as inbound). Status codes become typed
// errors the drainer understands: 429 and 5xx and network failures retry, other 4xx are permanent.
import { DeliveryError, type OutboundMessage, type SendResult } from '../../src/core/ports';
import type { InappAddress } from './address';
import { signedHeaders } from './signature';

export interface InappSendConfig {
  secret: string;
  callbackUrl?: string;
  now?: () => Date;
}

export async function sendToCallback(
  cfg: InappSendConfig, to: InappAddress, msg: OutboundMessage, opts: { idempotencyKey: string; signal: AbortSignal },
): Promise<SendResult> {
  // Without a callback the vendor's app reads replies with GET .../messages; nothing to push.
  if (!cfg.callbackUrl) return { externalIds: [] };
  const body = JSON.stringify({
    id: opts.idempotencyKey,
    account: { id: to.accountId },
    user: to.userId ? { id: to.userId } : undefined,
    kind: msg.kind,
    caseNumber: msg.caseNumber ?? null,
    author: msg.author ?? null,
    text: msg.text,
    choices: msg.choices ?? [],
    attachments: msg.attachments ?? [],
  });
  let res: Response;
  try {
    res = await fetch(cfg.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': opts.idempotencyKey, ...signedHeaders(cfg.secret, body, (cfg.now ?? (() => new Date()))()) },
      body,
      signal: opts.signal,
    });
  } catch (err) {
    throw new DeliveryError(`callback unreachable: ${(err as Error).message}`, true);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return { externalIds: [opts.idempotencyKey] };
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 429 || res.status >= 500) throw new DeliveryError(`callback answered ${res.status}`, true, retryAfter);
  throw new DeliveryError(`callback refused the message with ${res.status}`, false);
}

export function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}
