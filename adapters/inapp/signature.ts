// SPEC §7: X-Switchboard-Timestamp (unix seconds) and X-Switchboard-Signature, accepted within 5 minutes.
//
// v2 (what we send, and what vendors should send): hex HMAC-SHA256(secret, "v2\n" + direction + "\n" + METHOD +
// "\n" + path with query + "\n" + timestamp + "\n" + raw body). The direction ("inbound" for the vendor's app calling
// us, "outbound" for our callbacks to it), the method and the path are signed, so a captured callback can't be
// replayed as a client message and a signed read-back can't be replayed against another account.
// v1 (accepted inbound for existing integrations): hex HMAC-SHA256(secret, timestamp + "." + raw body), or the path
// with its query instead of a body for GET. We never send v1, so nothing we emit verifies as a v1 inbound request.
import { createHmac } from 'node:crypto';
import { sameSecret } from '../../src/http/compare';

export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const WINDOW_SECONDS = 300;

export type Direction = 'inbound' | 'outbound';

/** What a signature covers besides the timestamp: the request as the receiver sees it. */
export interface SignedRequest {
  method: string;
  /** Path with its query string, e.g. "/webhooks/inapp" or "/api/v1/inapp/accounts/acme/messages?after=0". */
  path: string;
  body?: string | Buffer;
}

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

export function signV2(secret: string, direction: Direction, timestamp: number | string, req: SignedRequest): string {
  const h = createHmac('sha256', secret);
  h.update(`v2\n${direction}\n${req.method.toUpperCase()}\n${req.path}\n${timestamp}\n`);
  if (req.body !== undefined) h.update(req.body);
  return `v2=${h.digest('hex')}`;
}

/** The legacy scheme, kept for verifying requests from integrations written against it. */
export function signV1(secret: string, timestamp: number | string, payload: string | Buffer): string {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(payload);
  return `v1=${h.digest('hex')}`;
}

export function signedHeaders(secret: string, req: SignedRequest, now: Date, direction: Direction = 'inbound'): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signV2(secret, direction, ts, req) };
}

const equal = sameSecret;

/** Verifies a request the vendor's app sent us. Our own outbound signatures never pass. */
export function verify(secret: string, headers: Record<string, unknown>, req: SignedRequest, now: Date): void {
  const ts = String(headers[TIMESTAMP_HEADER] ?? '');
  const given = String(headers[SIGNATURE_HEADER] ?? '');
  if (!ts || !given) throw new SignatureError(`missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`);
  if (!/^\d{1,12}$/.test(ts)) throw new SignatureError('timestamp must be unix seconds');
  if (Math.abs(now.getTime() / 1000 - Number(ts)) > WINDOW_SECONDS) throw new SignatureError('timestamp outside the 5-minute window');
  if (given.startsWith('v2=')) {
    if (!equal(signV2(secret, 'inbound', ts, req), given)) throw new SignatureError('signature does not match');
    return;
  }
  if (given.startsWith('v1=')) {
    const payload = req.method.toUpperCase() === 'GET' ? req.path : (req.body ?? '');
    if (!equal(signV1(secret, ts, payload), given)) throw new SignatureError('signature does not match');
    return;
  }
  throw new SignatureError('unknown signature scheme (expected v2=…)');
}
