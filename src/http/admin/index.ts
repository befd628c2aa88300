// Admin REST API (SPEC §7) behind a bearer token. Everything a manager can do from Slack is also here, so the
// service is usable before (or without) a Slack workspace.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { sha256 } from '../../admin-token';
import { caseRoutes } from './cases';
import { peopleRoutes } from './people';
import { linkRoutes } from './links';
import { programRoutes } from './programs';
import { reportRoutes } from './reports';
import { settingsRoutes } from './settings';
import { schemasDocumentOnly } from '../docs/route';

export async function adminRoutes(app: FastifyInstance, opts: AppDeps & { prefix?: string }) {
  // Sub-plugins inherit the prefix already; passing it on again would double it.
  const { prefix: _prefix, ...deps } = opts;
  schemasDocumentOnly(app);
  const expected = Buffer.from(deps.adminTokenSha256, 'hex');
  app.addHook('onRequest', async (req) => {
    // Auth schemes are case-insensitive (RFC 9110 §11.1); the token is compared by hash, in constant time.
    const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(sha256(m?.[1] ?? ''), 'hex');
    if (!m || expected.length !== given.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'missing or invalid bearer token');
  });
  await app.register(peopleRoutes, deps);
  await app.register(settingsRoutes, deps);
  await app.register(caseRoutes, deps);
  await app.register(reportRoutes, deps);
  await app.register(programRoutes, deps);
  await app.register(linkRoutes, deps);
}
