// Route schemas for the OpenAPI document, built from the zod schemas the handlers already parse() with.
import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';
import { ErrorBody, Outcome } from './shapes';

const ERRORS: Record<number, string> = {
  400: 'Bad input: the message names the field and the bound',
  401: 'Missing or invalid bearer token',
  404: 'Not found',
  409: 'Conflicts with an existing record',
};

export interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** The success reply; `Outcome` (a loose object) when not given. */
  ok?: z.ZodType;
  status?: 200 | 201;
  /** Besides 401 (every admin route). 400 is added when there is a body or a query, 404 when there are params. */
  errors?: number[];
}

const json = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });

export function doc(d: RouteDoc): FastifySchema {
  const codes = new Set([401, ...(d.body || d.querystring ? [400] : []), ...(d.params ? [404] : []), ...(d.errors ?? [])]);
  const response: Record<number, unknown> = { [d.status ?? 200]: json(d.status === 201 ? 'Created' : 'OK', d.ok ?? Outcome) };
  for (const c of [...codes].sort()) response[c] = json(ERRORS[c] ?? 'Error', ErrorBody);
  return {
    tags: d.tags, summary: d.summary, ...(d.description ? { description: d.description } : {}),
    ...(d.params ? { params: d.params } : {}), ...(d.querystring ? { querystring: d.querystring } : {}), ...(d.body ? { body: d.body } : {}),
    response,
  } as FastifySchema;
}

export const idParam = (what: string) => z.object({ id: z.uuid().meta({ description: `the ${what}'s id` }) });

/**
 * In a scope whose routes carry zod schemas for the document only: fastify neither validates nor serializes with
 * them. The handlers validate with parse() on the same schemas, so a 400 still names the field in the words it always
 * has, after the input guards, in the order it always has; replies are sent as the handlers shape them.
 */
export function schemasDocumentOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
