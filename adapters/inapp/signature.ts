// SPEC §7: X-Switchboard-Timestamp (unix seconds) and X-Switchboard-Signature: v1=<hex HMAC-SHA256(secret,
// timestamp + "." + raw body)>, accepted within 5 minutes. GET requests have no body, so they sign the request
// path with its query string instead; a captured signature then can't be replayed against another account.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const WINDOW_SECONDS = 300;

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

export function sign(secret: string, timestamp: number | string, payload: string | Buffer): string {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(payload);
  return `v1=${h.digest('hex')}`;
}

export function signedHeaders(secret: string, payload: string | Buffer, now: Date): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: sign(secret, ts, payload) };
}

export function verify(secret: string, headers: Record<string, unknown>, payload: string | Buffer, now: Date): void {
  const ts = String(headers[TIMESTAMP_HEADER] ?? '');
  const given = String(headers[SIGNATURE_HEADER] ?? '');
  if (!ts || !given) throw new SignatureError(`missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`);
  if (!/^\d{1,12}$/.test(ts)) throw new SignatureError('timestamp must be unix seconds');
  if (Math.abs(now.getTime() / 1000 - Number(ts)) > WINDOW_SECONDS) throw new SignatureError('timestamp outside the 5-minute window');
  const expected = Buffer.from(sign(secret, ts, payload));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new SignatureError('signature does not match');
}
