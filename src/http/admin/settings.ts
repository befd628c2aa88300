// Calendars, policies and the vendor's urgency keywords.
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEFAULT_CALENDAR, validateCalendar } from '../../core/sla/calendar';
import { DEFAULT_POLICY, effectivePolicy, validatePolicy } from '../../core/sla/policy';
import { DEFAULT_TRIAGE, validateTriageRules } from '../../core/triage';
import * as s from '../../db/schema';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { parse, problems, uuidParam } from './validate';

const named = z.object({ name: z.string().min(1), spec: z.unknown() });

export async function settingsRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;
  const kinds = [
    { path: 'calendars', table: s.calendars, validate: validateCalendar, defaults: DEFAULT_CALENDAR, normalize: (v: unknown) => v },
    { path: 'policies', table: s.policies, validate: validatePolicy, defaults: DEFAULT_POLICY, normalize: (v: unknown) => effectivePolicy(v as never) },
  ] as const;
  for (const k of kinds) {
    const table = k.table as typeof s.calendars;
    app.get(`/${k.path}/default`, async () => ({ id: null, name: 'default', spec: k.defaults }));
    app.post(`/${k.path}`, async (req, reply) => {
      const b = parse(named, req.body);
      problems(k.validate(b.spec), 'spec');
      const [row] = await db.insert(table).values({ id: randomUUID(), name: b.name, spec: k.normalize(b.spec) as never }).returning();
      return reply.code(201).send(row);
    });
    app.get(`/${k.path}`, async () => ({ [k.path]: await db.select().from(table).orderBy(asc(table.createdAt)) }));
    app.get<{ Params: { id: string } }>(`/${k.path}/:id`, async (req) => {
      const [row] = await db.select().from(table).where(eq(table.id, uuidParam(req.params.id, k.path)));
      if (!row) throw new HttpError(404, `${k.path} ${req.params.id} not found`);
      return row;
    });
    app.patch<{ Params: { id: string } }>(`/${k.path}/:id`, async (req) => {
      const b = parse(named.partial(), req.body);
      if (b.spec !== undefined) problems(k.validate(b.spec), 'spec');
      const patch = { ...(b.name ? { name: b.name } : {}), ...(b.spec !== undefined ? { spec: k.normalize(b.spec) as never } : {}) };
      // Running clocks keep their stored due times; the new settings apply to clocks started from now on.
      const [row] = Object.keys(patch).length
        ? await db.update(table).set(patch).where(eq(table.id, uuidParam(req.params.id, k.path))).returning()
        : await db.select().from(table).where(eq(table.id, uuidParam(req.params.id, k.path)));
      if (!row) throw new HttpError(404, `${k.path} ${req.params.id} not found`);
      return row;
    });
  }

  app.get('/settings/triage', async () => {
    const [row] = await db.select().from(s.settings).where(eq(s.settings.key, 'triage'));
    return { rules: row?.value ?? DEFAULT_TRIAGE, default: !row };
  });
  app.put('/settings/triage', async (req) => {
    const b = parse(z.object({ rules: z.unknown() }), req.body);
    problems(validateTriageRules(b.rules), 'rules');
    await db.insert(s.settings).values({ key: 'triage', value: b.rules as never }).onConflictDoUpdate({ target: s.settings.key, set: { value: b.rules as never, updatedAt: new Date() } });
    return { rules: b.rules, default: false };
  });
}
