// Widget user tokens: the vendor's backend vouches for who is signed in to its app.
//   sbu1.<base64url(JSON {accountId, accountName, userId, name, email, exp})>.<hex HMAC-SHA256(INAPP_SECRET, "widget:" + part)>
// The "widget:" prefix keeps a token's MAC from ever equalling a webhook signature over the same bytes (and the other
// way round). Everything in the token is trusted once the MAC matches, so the claims are checked as strictly as a
// signed webhook body is.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jsonProblem } from '../../../src/http/input';
import { describeIssues } from '../normalize';

/** A token that outlives this is refused: it sits in a web page, so its life should be a session's, not a key's. */
export const MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
const MAX_TOKEN_CHARS = 4096;

export const widgetClaims = z.object({
  accountId: z.string().min(1).max(200),
  accountName: z.string().max(500).optional(),
  userId: z.string().min(1).max(200),
  name: z.string().max(500).optional(),
  email: z.string().email().max(500).optional(),
  exp: z.number().int().positive(),
});
export type WidgetClaims = z.infer<typeof widgetClaims>;

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

const mac = (secret: string, part: string) => createHmac('sha256', secret).update(`widget:${part}`).digest('hex');

/** What the vendor's backend does (README: the same in Python and PHP); here for tests and the demo. */
export function mintWidgetToken(secret: string, claims: WidgetClaims): string {
  const part = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `sbu1.${part}.${mac(secret, part)}`;
}

export function verifyWidgetToken(secret: string, token: string, now: Date): WidgetClaims {
  if (token.length > MAX_TOKEN_CHARS) throw new TokenError('token too long');
  const m = /^sbu1\.([A-Za-z0-9_-]+)\.([0-9a-f]{64})$/.exec(token);
  if (!m) throw new TokenError('not a widget token (expected sbu1.<payload>.<hex signature>)');
  const [, part, given] = m;
  if (!timingSafeEqual(Buffer.from(mac(secret, part)), Buffer.from(given))) throw new TokenError('signature does not match');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('payload is not base64url JSON');
  }
  const parsed = widgetClaims.safeParse(json);
  if (!parsed.success) throw new TokenError(`claims: ${describeIssues(parsed.error)}`);
  const problem = jsonProblem(parsed.data, 'claims');
  if (problem) throw new TokenError(problem);
  const left = parsed.data.exp - now.getTime() / 1000;
  if (left <= 0) throw new TokenError('token expired');
  if (left > MAX_TOKEN_LIFETIME_SECONDS) throw new TokenError('exp is more than 7 days ahead; mint short-lived tokens');
  return parsed.data;
}

/** The token from `Authorization: Bearer sbu1…`; never from the URL, where proxies and browser history keep it. */
export function bearerToken(header: unknown): string {
  if (typeof header !== 'string') throw new TokenError('missing Authorization: Bearer <widget token>');
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) throw new TokenError('Authorization must be "Bearer <widget token>"');
  return m[1];
}
