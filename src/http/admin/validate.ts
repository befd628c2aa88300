import { z } from 'zod';
import { HttpError } from '../errors';

export function parse<T extends z.ZodType>(schema: T, value: unknown, what = 'body'): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new HttpError(400, r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`).join('; '));
}

export function problems(list: string[], field: string): void {
  if (list.length) throw new HttpError(400, list.map((p) => `${field}: ${p}`).join('; '));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function uuidParam(v: string, what: string): string {
  if (!UUID.test(v)) throw new HttpError(404, `${what} ${v} not found`);
  return v;
}

export const isUuid = (v: string) => UUID.test(v);

/** An optional id in a query string: absent is fine, anything but a UUID is a 400 naming the parameter. */
export function uuidQuery(v: string | undefined, name: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!UUID.test(v)) throw new HttpError(400, `${name} must be a UUID`);
  return v;
}

/**
 * Length bounds of the admin API (README): ids are indexed (an index row holds ~2.7 KB), names and texts are shown
 * in Slack and to clients, so every string has a ceiling and a 400 says which.
 */
export const LIMITS = { id: 200, name: 200, email: 320, text: 20_000 } as const;
export const idString = () => z.string().min(1).max(LIMITS.id);
export const nameString = () => z.string().min(1).max(LIMITS.name);
export const emailString = () => z.string().max(LIMITS.email).email();
export const textString = () => z.string().max(LIMITS.text);
