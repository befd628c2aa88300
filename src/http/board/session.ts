// Board sign-in: the admin token once, then a server-side session named by an HttpOnly, SameSite=Strict cookie.
// Server-side rather than a signed stateless cookie: signing out (or a changed ADMIN_TOKEN) ends a session on every
// instance at once, and no signing key has to be shared or rotated — the database the instances share holds it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, inArray, lte } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { sha256 as hash } from '../../admin-token';
import type { Clock } from '../../core/ports';
import type { Db } from '../../db/connect';
import * as s from '../../db/schema';

export const COOKIE = 'sb_board';
const COOKIE_PATH = '/board';

export interface BoardSession {
  idSha256: string;
  expiresAt: Date;
}

/** Compared as the admin API does: by hash, in constant time, so the token's length and prefix leak nothing. */
export function tokenMatches(given: unknown, expectedSha256: string): boolean {
  if (typeof given !== 'string' || !given) return false;
  const expected = Buffer.from(expectedSha256, 'hex');
  const actual = Buffer.from(hash(given), 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

export class BoardSessions {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly tokenSha256: string,
    readonly ttlMs: number,
  ) {}

  async create(): Promise<{ id: string; expiresAt: Date }> {
    const now = this.clock.now();
    // Expired rows go whenever someone signs in: sign-ins are rare, and no job has to own the table.
    await this.db.delete(s.boardSessions).where(lte(s.boardSessions.expiresAt, now));
    const id = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await this.db.insert(s.boardSessions).values({ idSha256: hash(id), tokenSha256: this.tokenSha256, createdAt: now, expiresAt });
    return { id, expiresAt };
  }

  async find(id: string | undefined): Promise<BoardSession | null> {
    if (!id || !/^[\w-]{43}$/.test(id)) return null;
    const [row] = await this.db
      .select({ idSha256: s.boardSessions.idSha256, expiresAt: s.boardSessions.expiresAt })
      .from(s.boardSessions)
      .where(and(eq(s.boardSessions.idSha256, hash(id)), eq(s.boardSessions.tokenSha256, this.tokenSha256), gt(s.boardSessions.expiresAt, this.clock.now())));
    return row ?? null;
  }

  /** Which of these sessions are still valid (streams re-check theirs, so a sign-out elsewhere ends them too). */
  async stillValid(idSha256s: string[]): Promise<Set<string>> {
    if (!idSha256s.length) return new Set();
    const rows = await this.db
      .select({ id: s.boardSessions.idSha256 })
      .from(s.boardSessions)
      .where(and(inArray(s.boardSessions.idSha256, [...new Set(idSha256s)]), eq(s.boardSessions.tokenSha256, this.tokenSha256), gt(s.boardSessions.expiresAt, this.clock.now())));
    return new Set(rows.map((r) => r.id));
  }

  async revoke(idSha256: string): Promise<void> {
    await this.db.delete(s.boardSessions).where(eq(s.boardSessions.idSha256, idSha256));
  }
}

export function cookieValue(header: string | undefined, name = COOKIE): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Secure whenever the board is reached over HTTPS (directly or, with trustProxy, behind a proxy that says so). */
export function sessionCookie(req: FastifyRequest, id: string, expiresAt: Date, now: Date): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  // Max-Age rather than Expires: it doesn't depend on the browser's clock agreeing with ours.
  return [`${COOKIE}=${id}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Strict', ...(req.protocol === 'https' ? ['Secure'] : [])].join('; ');
}

export function clearedCookie(req: FastifyRequest): string {
  return [`${COOKIE}=`, `Path=${COOKIE_PATH}`, 'Max-Age=0', 'HttpOnly', 'SameSite=Strict', ...(req.protocol === 'https' ? ['Secure'] : [])].join('; ');
}

/**
 * CSRF, next to SameSite=Strict: a state-changing request from a browser must come from our own pages. Browsers send
 * Origin (and Sec-Fetch-Site) on POSTs; a request with neither is not a browser's, and carries no cookie of its own.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `${req.protocol}://${req.host}`;
}

/** Whether the caller is a browser page (sent to a page) or a script (sent JSON). */
export const wantsHtml = (req: FastifyRequest) => /\btext\/html\b/.test(req.headers.accept ?? '');
