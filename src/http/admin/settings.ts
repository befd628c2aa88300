// Calendars, policies and the vendor's urgency keywords.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CalendarSpec, PolicySpec } from '../../core/model';
import { DEFAULT_CALENDAR, normalizeCalendar, validateCalendar } from '../../core/sla/calendar';
import { DEFAULT_POLICY, effectivePolicy, fitProblems, validatePolicy } from '../../core/sla/policy';
import { DEFAULT_TRIAGE, validateTriageRules } from '../../core/triage';
import type { Db } from '../../db/connect';
import * as s from '../../db/schema';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { parse, problems, uuidParam } from './validate';
import { doc, idParam } from '../docs/route';
import { CalendarDoc, DefaultSpec, documentedAs, PolicyDoc, StoredCalendar, StoredPolicy, Triage, TriageRules } from '../docs/shapes';

const named = z.object({ name: z.string().min(1), spec: z.unknown() });
const WEEKDAYS_10_19 = { mon: [['10:00', '19:00']], tue: [['10:00', '19:00']], wed: [['10:00', '19:00']], thu: [['10:00', '19:00']], fri: [['10:00', '19:00']] };
/** Each kind's body: the same validation (spec is checked by validateCalendar / validatePolicy), its shape documented. */
const bodies = {
  calendars: named.extend({ spec: z.unknown().meta(documentedAs(CalendarDoc, 'the calendar')) }).meta({
    examples: [{ name: 'Moscow office', spec: { zone: 'Europe/Moscow', week: WEEKDAYS_10_19, holidays: ['2026-01-01', '2026-01-02'] } }],
  }),
  policies: named.extend({ spec: z.unknown().meta(documentedAs(PolicyDoc, 'the policy')) }).meta({
    examples: [{ name: 'Gold', spec: { targets: { high: { minutes: 20, hours: 'business' } }, warnAt: [0.5, 0.8], reopenDays: 14 } }],
  }),
};
const patches = {
  calendars: bodies.calendars.partial().meta({ examples: [{ name: 'Moscow office (winter)' }, { spec: { zone: 'Europe/Moscow', week: WEEKDAYS_10_19, holidays: ['2026-12-31'] } }] }),
  policies: bodies.policies.partial().meta({ examples: [{ spec: { reopenDays: 3 } }] }),
};
const triageBody = z
  .object({ rules: z.unknown().meta(documentedAs(TriageRules, 'phrases per urgency; replaces the defaults')) })
  .meta({ examples: [{ rules: { critical: ['down', 'not tracking', 'all conversions lost'], feature: ['feature request', 'it would be nice'] } }] });

/** The largest business-hours target still counting down for these clients: their calendar must keep serving it. */
async function runningBusinessMinutes(db: Db, clientIds: string[]): Promise<number> {
  if (!clientIds.length) return 0;
  const [row] = await db
    .select({ m: sql<number | null>`max(${s.slaClocks.targetMinutes})` })
    .from(s.slaClocks)
    .innerJoin(s.cases, eq(s.cases.id, s.slaClocks.caseId))
    .where(and(inArray(s.cases.clientId, clientIds), eq(s.slaClocks.state, 'running'), eq(s.slaClocks.hours, 'business')));
  return Number(row?.m ?? 0);
}

/**
 * A 400 naming `field` unless the calendar can serve the policy and the running clocks of `clientIds`: whatever
 * the API accepts must keep working for every later message, warning, recompute and call slot.
 */
export async function assertFit(db: Db, field: string, calendar: CalendarSpec, policy: PolicySpec, clientIds: string[], context = '') {
  const found = fitProblems(calendar, policy, await runningBusinessMinutes(db, clientIds));
  problems(found.map((p) => (context ? `${p} (${context})` : p)), field);
}

export async function calendarSpec(db: Db, id: string | null): Promise<CalendarSpec> {
  if (!id) return DEFAULT_CALENDAR;
  const [row] = await db.select().from(s.calendars).where(eq(s.calendars.id, id));
  if (!row) throw new HttpError(400, `calendarId: calendar ${id} does not exist`);
  return normalizeCalendar(row.spec);
}

export async function policySpec(db: Db, id: string | null): Promise<PolicySpec> {
  if (!id) return DEFAULT_POLICY;
  const [row] = await db.select().from(s.policies).where(eq(s.policies.id, id));
  if (!row) throw new HttpError(400, `policyId: policy ${id} does not exist`);
  return effectivePolicy(row.spec);
}

/** A changed calendar or policy must still fit every client using it; one no client uses, the defaults. */
async function assertStillFits(db: Db, kind: 'calendars' | 'policies', id: string, spec: unknown) {
  const users = await db
    .select({ id: s.clients.id, name: s.clients.name, calendarId: s.clients.calendarId, policyId: s.clients.policyId })
    .from(s.clients)
    .where(kind === 'calendars' ? eq(s.clients.calendarId, id) : eq(s.clients.policyId, id));
  if (!users.length) {
    if (kind === 'calendars') return assertFit(db, 'spec', spec as CalendarSpec, DEFAULT_POLICY, [], 'with the default policy');
    return assertFit(db, 'spec', DEFAULT_CALENDAR, effectivePolicy(spec as never), [], 'with the default calendar');
  }
  // Clients sharing the other half are checked together: one query for their running clocks.
  const groups = new Map<string | null, typeof users>();
  for (const u of users) {
    const other = kind === 'calendars' ? u.policyId : u.calendarId;
    groups.set(other, [...(groups.get(other) ?? []), u]);
  }
  for (const [other, group] of groups) {
    const context = `client "${group[0].name}"${group.length > 1 ? ` and ${group.length - 1} more` : ''} use${group.length > 1 ? '' : 's'} it`;
    const ids = group.map((u) => u.id);
    if (kind === 'calendars') await assertFit(db, 'spec', spec as CalendarSpec, await policySpec(db, other), ids, context);
    else await assertFit(db, 'spec', await calendarSpec(db, other), effectivePolicy(spec as never), ids, context);
  }
}

export async function settingsRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;
  const kinds = [
    { path: 'calendars', table: s.calendars, validate: validateCalendar, defaults: DEFAULT_CALENDAR, normalize: normalizeCalendar },
    { path: 'policies', table: s.policies, validate: validatePolicy, defaults: DEFAULT_POLICY, normalize: (v: unknown) => effectivePolicy(v as never) },
  ] as const;
  for (const k of kinds) {
    const table = k.table as typeof s.calendars;
    const tags = [k.path];
    const what = k.path === 'calendars' ? 'calendar' : 'policy';
    const [spec, stored] = k.path === 'calendars' ? [CalendarDoc, StoredCalendar] : [PolicyDoc, StoredPolicy];
    app.get(`/${k.path}/default`, { schema: doc({ tags, summary: `The default ${what} (SPEC §3)`, ok: DefaultSpec(spec) }) }, async () => ({ id: null, name: 'default', spec: k.defaults }));
    app.post(`/${k.path}`, { schema: doc({ tags, summary: `Store a ${what}`, body: bodies[k.path], ok: stored, status: 201 }) }, async (req, reply) => {
      const b = parse(bodies[k.path], req.body);
      problems(k.validate(b.spec), 'spec');
      const spec = k.normalize(b.spec as never);
      if (k.path === 'calendars') await assertFit(db, 'spec', spec as unknown as CalendarSpec, DEFAULT_POLICY, [], 'with the default policy');
      const [row] = await db.insert(table).values({ id: randomUUID(), name: b.name, spec: spec as never }).returning();
      return reply.code(201).send(row);
    });
    app.get(`/${k.path}`, { schema: doc({ tags, summary: `List stored ${k.path}`, ok: z.object({ [k.path]: z.array(stored) }) }) }, async () => ({ [k.path]: await db.select().from(table).orderBy(asc(table.createdAt)) }));
    app.get<{ Params: { id: string } }>(`/${k.path}/:id`, { schema: doc({ tags, summary: `Read a stored ${what}`, params: idParam(what), ok: stored }) }, async (req) => {
      const [row] = await db.select().from(table).where(eq(table.id, uuidParam(req.params.id, k.path)));
      if (!row) throw new HttpError(404, `${k.path} ${req.params.id} not found`);
      return row;
    });
    app.patch<{ Params: { id: string } }>(`/${k.path}/:id`, {
      schema: doc({
        tags, summary: `Change a stored ${what}`, params: idParam(what), body: patches[k.path], ok: stored,
        description: `Checked against every client using it. Running clocks keep their due times; the new ${what} applies to clocks started from now on.`,
      }),
    }, async (req) => {
      const b = parse(patches[k.path], req.body);
      const id = uuidParam(req.params.id, k.path);
      const spec = b.spec === undefined ? undefined : k.normalize(b.spec as never);
      if (b.spec !== undefined) {
        problems(k.validate(b.spec), 'spec');
        const [exists] = await db.select({ id: table.id }).from(table).where(eq(table.id, id));
        if (!exists) throw new HttpError(404, `${k.path} ${req.params.id} not found`);
        await assertStillFits(db, k.path, id, spec);
      }
      const patch = { ...(b.name ? { name: b.name } : {}), ...(spec !== undefined ? { spec: spec as never } : {}) };
      // Running clocks keep their stored due times; the new settings apply to clocks started from now on.
      const [row] = Object.keys(patch).length
        ? await db.update(table).set(patch).where(eq(table.id, id)).returning()
        : await db.select().from(table).where(eq(table.id, id));
      if (!row) throw new HttpError(404, `${k.path} ${req.params.id} not found`);
      return row;
    });
  }

  app.get('/settings/triage', { schema: doc({ tags: ['settings'], summary: 'The vendor’s urgency keywords', ok: Triage }) }, async () => {
    const [row] = await db.select().from(s.settings).where(eq(s.settings.key, 'triage'));
    return { rules: row?.value ?? DEFAULT_TRIAGE, default: !row };
  });
  app.put('/settings/triage', { schema: doc({ tags: ['settings'], summary: 'Replace the urgency keywords', body: triageBody, ok: Triage }) }, async (req) => {
    const b = parse(triageBody, req.body);
    problems(validateTriageRules(b.rules), 'rules');
    await db.insert(s.settings).values({ key: 'triage', value: b.rules as never }).onConflictDoUpdate({ target: s.settings.key, set: { value: b.rules as never, updatedAt: new Date() } });
    return { rules: b.rules, default: false };
  });
}
