// Inbound authentication of POST /webhooks/botframework: every request's JWT is checked against the activity it
// carries, before anything is stored. The checks are botbuilder's own (ConfigurationBotFrameworkAuthentication:
// signature with the key named by `kid` from the OpenID metadata's jwks_uri, issuer, audience = our app id, exp/nbf
// with 5 minutes of skew, the key's endorsement of the activity's channelId, the `serviceurl` claim against
// activity.serviceUrl). Around them, what botbuilder 4.23 gets wrong (PLATFORMS.md):
//  - a known kid with a bad signature, or an nbf in the future, come out of the SDK as plain errors (a 500 from
//    CloudAdapter.process): every failure here becomes an AuthError, so the route answers 401;
//  - a token with one of the emulator's issuers goes down a path that validates against Azure AD's keys and skips
//    the serviceurl check: any issuer but the configured one is refused before the SDK sees the token, and so are
//    skill tokens and the "AseChannel" channel id, which take other paths too;
//  - the serviceurl check is skipped when the activity has no serviceUrl: an activity without one is refused.
import { AuthenticationError, SkillValidation } from 'botframework-connector';
import type { BotFrameworkSdk } from './sdk';

export type AuthFailure =
  | 'missing_token'
  | 'malformed_token'
  | 'activity'
  | 'algorithm'
  | 'issuer'
  | 'skill_token'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'service_url'
  | 'unknown_key'
  | 'signature'
  | 'endorsement'
  | 'keys_unavailable'
  | 'rejected';

/** Any reason a request is not authenticated. Always a 401: the route never turns one into a 500. */
export class AuthError extends Error {
  readonly statusCode = 401;
  constructor(
    readonly reason: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface VerifiedRequest {
  /** False only when authentication is disabled (BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true). */
  authenticated: boolean;
  channelId: string;
  /** Trusted for replies: it matched the token's `serviceurl` claim (unless authentication is disabled). */
  serviceUrl: string;
  claims: Record<string, unknown>;
}

export interface VerifierOptions {
  /** Bounds a fetch of the signing keys (the SDK's own fetch has no timeout). */
  timeoutMs?: number;
  now?: () => number;
}

const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512']);
const SKEW_SECONDS = 5 * 60;
// The App Service Extension's channel id: the SDK checks its tokens against AseChannelValidation's own metadata.
const ASE_CHANNEL = 'AseChannel';

export type RequestVerifier = (authorizationHeader: string | undefined | null, activity: unknown) => Promise<VerifiedRequest>;

export function createRequestVerifier(sdk: BotFrameworkSdk, opts: VerifierOptions = {}): RequestVerifier {
  const { config, auth } = sdk;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;

  return async function verifyRequest(authorizationHeader, activity) {
    const { channelId, serviceUrl } = activityAddress(activity);
    if (config.authentication === 'disabled') return { authenticated: false, channelId, serviceUrl, claims: {} };

    const header = (authorizationHeader ?? '').trim();
    if (!header) throw new AuthError('missing_token', 'no Authorization header');
    const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(header);
    if (!m) throw new AuthError('malformed_token', 'Authorization is not "Bearer <JWT>"');
    const jose = decodeJson(m[1]);
    const claims = decodeJson(m[2]);
    if (!jose || !claims) throw new AuthError('malformed_token', 'the token is not a JWT');

    if (typeof jose.alg !== 'string' || !ALGORITHMS.has(jose.alg)) throw new AuthError('algorithm', `alg ${String(jose.alg)} is not accepted`);
    if (typeof jose.kid !== 'string' || !jose.kid) throw new AuthError('unknown_key', 'the token names no signing key');
    if (claims.iss !== config.tokenIssuer) throw new AuthError('issuer', `issuer ${String(JSON.stringify(claims.iss)).slice(0, 100)} is not ${config.tokenIssuer}`);
    if (SkillValidation.isSkillToken(header)) throw new AuthError('skill_token', 'skill tokens are not accepted');
    if (claims.aud !== config.appId) throw new AuthError('audience', 'the token is for another app');
    const t = Math.floor(now() / 1000);
    if (typeof claims.exp !== 'number') throw new AuthError('expired', 'the token has no expiry');
    if (claims.exp + SKEW_SECONDS <= t) throw new AuthError('expired', 'the token has expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - SKEW_SECONDS > t))
      throw new AuthError('not_yet_valid', 'the token is not valid yet');
    if (claims.serviceurl !== serviceUrl) throw new AuthError('service_url', 'the serviceurl claim does not match activity.serviceUrl');
    if (channelId === ASE_CHANNEL) throw new AuthError('activity', `channel ${ASE_CHANNEL} is not accepted`);

    let identity;
    try {
      const result = await withTimeout(auth.authenticateRequest({ channelId, serviceUrl } as never, header), timeoutMs);
      identity = result.claimsIdentity;
    } catch (err) {
      throw toAuthError(err);
    }
    if (!identity?.isAuthenticated) throw new AuthError('rejected', 'the SDK returned no authenticated identity');
    return { authenticated: true, channelId, serviceUrl, claims: Object.fromEntries(identity.claims.map((c) => [c.type, c.value])) };
  };
}

function activityAddress(activity: unknown): { channelId: string; serviceUrl: string } {
  const a = (activity ?? {}) as { channelId?: unknown; serviceUrl?: unknown };
  if (typeof a.channelId !== 'string' || !a.channelId) throw new AuthError('activity', 'the activity has no channelId');
  if (typeof a.serviceUrl !== 'string' || !a.serviceUrl) throw new AuthError('activity', 'the activity has no serviceUrl');
  return { channelId: a.channelId, serviceUrl: a.serviceUrl };
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

class Timeout extends Error {}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// The SDK's messages are matched as botbuilder 4.23.3 words them (the version is pinned by package-lock); anything
// unrecognised still becomes a 401, as 'rejected'.
function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof Timeout) return new AuthError('keys_unavailable', 'the signing keys did not load in time');
  const e = err as { name?: string; message?: string; statusCode?: number };
  const message = String(e?.message ?? err);
  const is = (re: RegExp) => re.test(message);
  if (e?.name === 'TokenExpiredError' || is(/token has expired/i)) return new AuthError('expired', 'the token has expired');
  if (e?.name === 'NotBeforeError') return new AuthError('not_yet_valid', 'the token is not valid yet');
  if (e?.name === 'JsonWebTokenError') {
    if (is(/invalid signature/i)) return new AuthError('signature', 'the signature does not verify');
    if (is(/audience/i)) return new AuthError('audience', 'the token is for another app');
    if (is(/issuer/i)) return new AuthError('issuer', 'the issuer is not accepted');
    return new AuthError('malformed_token', `the token is not valid (${message})`);
  }
  if (err instanceof AuthenticationError || e?.name === 'AuthenticationError') {
    if (is(/Signing Key could not be retrieved/i)) return new AuthError('unknown_key', 'the token names a key the metadata does not publish');
    if (is(/endorsement/i)) return new AuthError('endorsement', 'the signing key does not endorse this channel');
    if (is(/ServiceUrl claim/i)) return new AuthError('service_url', 'the serviceurl claim does not match activity.serviceUrl');
    if (is(/Invalid AppId/i)) return new AuthError('audience', 'the token is for another app');
    if (is(/Failed to load/i)) return new AuthError('keys_unavailable', 'the signing keys could not be loaded');
    return new AuthError('rejected', message);
  }
  // node-fetch's errors while loading the metadata or the keys (refused, reset, bad JSON).
  if (e?.name === 'FetchError' || (err instanceof SyntaxError)) return new AuthError('keys_unavailable', 'the signing keys could not be loaded');
  return new AuthError('rejected', message);
}
