// The SLA board for the support lead (/board): sign-in, the page, its JSON, its live stream and its assets. Every
// route but the sign-in page itself needs a board session; board data is never reachable without one.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { BOARD_ZONE, boardCharts, boardState, changeStamp } from '../../db/board';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { asset } from './asset';
import { BOARD_JS } from './client';
import { BoardFeed } from './feed';
import { BOARD_CSP, boardPage, LOGIN_CSP, loginPage } from './pages';
import { BoardSessions, clearedCookie, cookieValue, sameOrigin, sessionCookie, tokenMatches, wantsHtml, type BoardSession } from './session';
import { BOARD_CSS } from './style';

const SESSION_HOURS = 12;
const POLL_MS = 2000;

declare module 'fastify' {
  interface FastifyRequest {
    boardSession: BoardSession | null;
  }
}

// Served from our own node_modules: no CDN, and the version is the one package-lock.json pins.
const chartJs = () => fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'));

/** The charts' date range: vendor-zone dates, both ends included; by default the last 8 ISO weeks. */
export function chartRange(q: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const today = DateTime.fromJSDate(now, { zone: BOARD_ZONE });
  const out = { from: q.from || today.startOf('week').minus({ weeks: 7 }).toISODate()!, to: q.to || today.toISODate()! };
  for (const k of ['from', 'to'] as const) {
    const d = DateTime.fromISO(out[k], { zone: BOARD_ZONE });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(out[k]) || !d.isValid || d.year < 1970 || d.year > 2999) throw new HttpError(400, `${k} must be a date (YYYY-MM-DD) between 1970 and 2999`);
  }
  const days = DateTime.fromISO(out.to).diff(DateTime.fromISO(out.from), 'days').days;
  if (days < 0) throw new HttpError(400, 'from must not be after to');
  if (days > 366) throw new HttpError(400, 'the range may span at most 366 days');
  return out;
}

export async function boardRoutes(app: FastifyInstance, deps: AppDeps) {
  const { core } = deps;
  const db = deps.database.db;
  const sessions = new BoardSessions(db, core.clock, deps.adminTokenSha256, SESSION_HOURS * 3600_000);
  const feed = new BoardFeed(() => changeStamp(db), (ids) => sessions.stillValid(ids), { pollMs: POLL_MS, heartbeatMs: 25_000 }, core.log);
  // Before the server waits for its connections: open streams would otherwise hold a shutdown forever.
  app.addHook('preClose', async () => feed.close());

  app.decorateRequest('boardSession', null);
  // The sign-in form posts urlencoded; only here, and small.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))));

  app.addHook('onSend', async (_req, reply, payload) => {
    // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own form posts.
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.boardPublic) return;
    const session = await sessions.find(cookieValue(req.headers.cookie));
    if (session) {
      req.boardSession = session;
      return;
    }
    if (req.method === 'GET' && wantsHtml(req)) return reply.redirect('/board/login', 303);
    throw new HttpError(401, 'sign in to the board first: POST /board/login with the admin token');
  });

  const html = (reply: FastifyReply, csp: string, body: string, code = 200) =>
    reply.code(code).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', csp).send(body);
  const sameOriginOnly = (req: FastifyRequest) => {
    if (!sameOrigin(req)) throw new HttpError(403, 'refused: the request did not come from the board itself');
  };

  app.get('/board/login', { config: { boardPublic: true } }, async (req, reply) => {
    if (await sessions.find(cookieValue(req.headers.cookie))) return reply.redirect('/board', 303);
    return html(reply, LOGIN_CSP, loginPage(SESSION_HOURS));
  });

  app.post('/board/login', { config: { boardPublic: true } }, async (req, reply) => {
    sameOriginOnly(req);
    const token = (req.body as { token?: unknown } | null | undefined)?.token;
    if (!tokenMatches(token, deps.adminTokenSha256)) {
      if (wantsHtml(req)) return html(reply, LOGIN_CSP, loginPage(SESSION_HOURS, 'That is not the admin token.'), 401);
      throw new HttpError(401, 'wrong admin token');
    }
    const { id, expiresAt } = await sessions.create();
    reply.header('set-cookie', sessionCookie(req, id, expiresAt, core.clock.now()));
    if (wantsHtml(req)) return reply.redirect('/board', 303);
    return { ok: true, expiresAt: expiresAt.toISOString() };
  });

  app.post('/board/logout', async (req, reply) => {
    sameOriginOnly(req);
    await sessions.revoke(req.boardSession!.idSha256);
    feed.endSession(req.boardSession!.idSha256);
    reply.header('set-cookie', clearedCookie(req));
    if (wantsHtml(req)) return reply.redirect('/board/login', 303);
    return { ok: true };
  });

  app.get('/board', async (_req, reply) => {
    const now = core.clock.now();
    return html(reply, BOARD_CSP, boardPage({ state: await boardState(db, now), range: chartRange({}, now) }));
  });
  app.get('/board/api/state', async () => boardState(db, core.clock.now()));
  app.get<{ Querystring: { from?: string; to?: string } }>('/board/api/charts', async (req) => {
    const now = core.clock.now();
    return boardCharts(db, chartRange(req.query, now), now);
  });
  app.get('/board/events', async (req, reply) => feed.open(req, reply, req.boardSession!, core.clock.now()));

  app.get('/board/assets/board.js', asset('application/javascript; charset=utf-8', () => BOARD_JS));
  app.get('/board/assets/board.css', asset('text/css; charset=utf-8', () => BOARD_CSS));
  app.get('/board/assets/chart.umd.min.js', asset('application/javascript; charset=utf-8', chartJs));
}
