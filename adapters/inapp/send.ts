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
      headers: {
        'content-type': 'application/json', 'idempotency-key': opts.idempotencyKey,
        ...signedHeaders(cfg.secret, { method: 'POST', path: pathOf(cfg.callbackUrl), body }, (cfg.now ?? (() => new Date()))(), 'outbound'),
      },
      body,
      // A redirect could send a signed client transcript anywhere; the configured URL is the only destination.
      redirect: 'manual',
      signal: opts.signal,
    });
  } catch (err) {
    // The drainer's deadline (or the loss of its lease) aborted the request: a hanging endpoint, retried later.
    if (opts.signal.aborted) throw new DeliveryError('callback did not answer in time', true);
    throw new DeliveryError(`callback unreachable: ${(err as Error).message}`, true);
  }
  await res.arrayBuffer().catch(() => undefined);
  // Inbound ids of this account live in the account's scope: a vendor app that mirrors our message back with our
  // id is then recognised as our echo.
  if (res.ok) return { externalIds: [opts.idempotencyKey], scope: to.accountId };
  if (res.status >= 300 && res.status < 400)
    throw new DeliveryError(`callback answered ${res.status}, a redirect; callbacks don't follow redirects (set INAPP_CALLBACK_URL to the final address)`, false);
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 429 || res.status >= 500) throw new DeliveryError(`callback answered ${res.status}`, true, retryAfter);
  throw new DeliveryError(`callback refused the message with ${res.status}`, false);
}

/** The path and query the vendor's server sees: what an outbound signature covers. */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

export function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}
