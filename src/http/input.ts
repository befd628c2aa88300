// Bad input is named at the edge, before anything reaches the database (SPEC §8): characters PostgreSQL refuses to
// store, JSON nested deeper than any of our shapes, and query parameters given twice. Each is a 400 that says where.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors';

/** Deeper than any body we accept; deep enough nesting overflows the stack of JSON.stringify and PostgreSQL's jsonb. */
export const MAX_JSON_DEPTH = 32;

// NUL can't be stored in a text column; a lone surrogate half can't be encoded as UTF-8 (nor read back as json).
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function unstorableString(s: string): string | null {
  if (!UNSTORABLE.test(s)) return null;
  return s.includes('\u0000') ? 'contains a NUL character (\\u0000), which cannot be stored' : 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
}

/** The first problem in a parsed JSON value, named by its path ("body.user.name: contains a NUL character"), or null. */
export function jsonProblem(value: unknown, path = 'body', depth = 0): string | null {
  if (typeof value === 'string') {
    const p = unstorableString(value);
    return p && `${path}: ${p}`;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_JSON_DEPTH) return `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonProblem(value[i], `${path}.${i}`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const kp = unstorableString(k);
    if (kp) return `${path}: a key ${kp}`;
    const p = jsonProblem(v, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}

export function assertStorable(value: unknown, path = 'body'): void {
  const p = jsonProblem(value, path);
  if (p) throw new HttpError(400, p);
}

function checkRequest(req: FastifyRequest): void {
  // Webhooks verify their signature before anything else and check what they parse themselves.
  if ((req.routeOptions.config as { verifiedWebhook?: boolean } | undefined)?.verifiedWebhook) return;
  for (const [name, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) throw new HttpError(400, `query parameter "${name}" given more than once`);
    if (typeof v === 'string') assertStorable(v, `query parameter "${name}"`);
  }
  for (const [name, v] of Object.entries((req.params ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') assertStorable(v, `path parameter "${name}"`);
  // Webhooks parse their own raw bodies (and check them after verifying); everything else arrives parsed here.
  if (req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body !== 'string') assertStorable(req.body);
}

/** Applies to every route registered after it (webhook plugins check their own bodies once parsed). */
export function inputGuards(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => checkRequest(req));
}
