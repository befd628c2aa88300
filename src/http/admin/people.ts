// Managers, clients, contacts and identities.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, ne, notInArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { setManagerStatus } from '../../core/commands';
import { CHANNELS } from '../../core/model';
import { isValidZone } from '../../core/zones';
import type { CalendarSpec } from '../../core/model';
import { normalizeCalendar, validateCalendar } from '../../core/sla/calendar';
import { effectivePolicy, validatePolicy } from '../../core/sla/policy';
import type { Db } from '../../db/connect';
import * as s from '../../db/schema';
import { pgCode } from '../../db/store';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { emailString, idString, LIMITS, nameString, parse, problems, uuidParam, uuidQuery } from './validate';
import { assertFit, calendarSpec, policySpec } from './settings';
import { doc, idParam } from '../docs/route';
import { CalendarDoc, Client, Contact, documentedAs, Manager, PolicyDoc } from '../docs/shapes';

const slackChannel = z.string().regex(/^[CG][A-Z0-9]{2,40}$/, 'must be a Slack channel id (C…)');
const zone = z.string().refine(isValidZone, 'unknown IANA time zone (e.g. Europe/Moscow, Asia/Kolkata, Etc/UTC)');
const managerBody = z.object({
  name: nameString(),
  email: emailString().nullable().optional(),
  slackUserId: idString().nullable().optional(),
  timeZone: zone.optional(),
  status: z.enum(['active', 'away']).optional(),
  isDefault: z.boolean().optional(),
  onCall: z.boolean().optional(),
});
const managerCreate = managerBody.meta({ examples: [{ name: 'Maria Petrova', email: 'maria@vendor.example', timeZone: 'Europe/Moscow', slackUserId: 'U0123ABCD' }] });
const managerPatch = managerBody.partial().meta({ examples: [{ status: 'away' }, { name: 'Maria Petrova-Ivanova', onCall: true }] });
const clientBody = z.object({
  name: nameString(),
  tier: z.enum(['premium', 'standard']).optional(),
  managerId: z.string().uuid().nullable().optional(),
  backupManagerId: z.string().uuid().nullable().optional(),
  calendar: z.unknown().meta(documentedAs(CalendarDoc, 'the client’s own business calendar, inline', { nullable: true })).optional(),
  policy: z.unknown().meta(documentedAs(PolicyDoc, 'the client’s own SLA policy, inline', { nullable: true })).optional(),
  calendarId: z.string().uuid().nullable().optional(),
  policyId: z.string().uuid().nullable().optional(),
  inappAccountId: idString().nullable().optional(),
  slackChannelId: idString().nullable().optional(),
  // Slack Connect channels shared with the client's organisation (several allowed): the set the client ends up with.
  slackConnectChannelId: z.union([slackChannel, z.array(slackChannel).max(50)]).nullable().optional(),
  slackConnectChannelIds: z.array(slackChannel).max(50).optional(),
});
const MANAGER_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const CLIENT_ID = '2b7e1516-28ae-4d2a-a6ab-f7158809cf4f';
const clientCreate = clientBody.meta({
  examples: [
    { name: 'Acme Ltd', tier: 'premium', managerId: MANAGER_ID, inappAccountId: 'acme' },
    {
      name: 'Hudson Analytics', tier: 'premium', managerId: MANAGER_ID,
      calendar: { zone: 'America/New_York', week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] }, holidays: ['2026-12-25'] },
      policy: { targets: { medium: { minutes: 120, hours: 'business' } } },
    },
  ],
});
const clientPatch = clientBody.partial().meta({ examples: [{ backupManagerId: MANAGER_ID }, { policy: null, slackConnectChannelIds: ['C0123ABCD'] }] });
const identity = z
  .object({ channel: z.enum(CHANNELS), externalId: idString(), account: z.string().max(LIMITS.id).optional() })
  .meta({ examples: [{ channel: 'telegram', externalId: '123456789', account: '7000000001' }] });
const contactBody = z.object({
  clientId: z.string().uuid(),
  name: nameString(),
  email: emailString().nullable().optional(),
  timeZone: zone.nullable().optional(),
  identities: z.array(identity).optional(),
});
const contactCreate = contactBody.meta({ examples: [{ clientId: CLIENT_ID, name: 'Ann Client', email: 'ann@acme.example', identities: [{ channel: 'inapp', externalId: 'user-1' }] }] });
const contactPatch = contactBody.omit({ clientId: true, identities: true }).partial().meta({ examples: [{ name: 'Ann Smith', timeZone: 'Europe/Berlin' }] });

function conflict(err: unknown, what: string): never {
  if (pgCode(err) === '23505') throw new HttpError(409, `${what} already exists`);
  if (pgCode(err) === '23503') throw new HttpError(400, `${what}: a referenced record does not exist`);
  throw err;
}

async function one<T>(rows: Promise<T[]>, what: string): Promise<T> {
  const [r] = await rows;
  if (!r) throw new HttpError(404, `${what} not found`);
  return r;
}

export async function clientView(db: Db, c: typeof s.clients.$inferSelect) {
  const [cal] = c.calendarId ? await db.select().from(s.calendars).where(eq(s.calendars.id, c.calendarId)) : [];
  const [pol] = c.policyId ? await db.select().from(s.policies).where(eq(s.policies.id, c.policyId)) : [];
  const shared = await db.select({ key: s.clientLinks.key }).from(s.clientLinks).where(and(eq(s.clientLinks.channel, 'slack'), eq(s.clientLinks.clientId, c.id))).orderBy(asc(s.clientLinks.createdAt));
  return { ...c, calendar: cal?.spec ?? null, policy: pol?.spec ?? null, slackConnectChannelIds: shared.map((l) => l.key) };
}

/** The Slack Connect channels a request names (one id or a list, under either name), or undefined to keep them. */
function slackConnectIds(b: { slackConnectChannelId?: string | string[] | null; slackConnectChannelIds?: string[] }): string[] | undefined {
  if (b.slackConnectChannelId !== undefined && b.slackConnectChannelIds !== undefined)
    throw new HttpError(400, 'slackConnectChannelId and slackConnectChannelIds name the same thing: give one of them');
  const v = b.slackConnectChannelIds ?? b.slackConnectChannelId;
  return v === undefined ? undefined : [...new Set(v === null ? [] : [v].flat())];
}

/**
 * A client's console channel is where its managers talk: tied to a client as a shared channel, clients would read the
 * managers' threads. Refused wherever a shared channel is set (this field, the links API).
 */
export async function refuseConsoleChannels(db: Db, ids: string[], field: string): Promise<void> {
  // The client's own console channel is among these rows too: callers have already written (or read) its row.
  const [c] = ids.length ? await db.select({ name: s.clients.name, channel: s.clients.slackChannelId }).from(s.clients).where(inArray(s.clients.slackChannelId, ids)).limit(1) : [];
  if (c) throw new HttpError(400, `${field}: ${c.channel} is a console channel (${c.name}'s); a Slack Connect channel is the one shared with the client's organisation`);
}

/**
 * The client's Slack Connect channels become exactly `ids` (client links, channel 'slack'). A client's console
 * channel can't be one (clients would read the managers' threads), nor can a channel linked to another client.
 */
async function setSlackConnect(db: Db, clientId: string, ids: string[] | undefined) {
  if (ids === undefined) return;
  await refuseConsoleChannels(db, ids, 'slackConnectChannelId');
  const taken = ids.length
    ? await db.select().from(s.clientLinks).where(and(eq(s.clientLinks.channel, 'slack'), inArray(s.clientLinks.key, ids), ne(s.clientLinks.clientId, clientId)))
    : [];
  if (taken.length) throw new HttpError(409, `slackConnectChannelId: ${taken[0].key} is linked to another client; unlink it there first`);
  await db.delete(s.clientLinks).where(and(eq(s.clientLinks.channel, 'slack'), eq(s.clientLinks.clientId, clientId), ids.length ? notInArray(s.clientLinks.key, ids) : undefined));
  if (ids.length) await db.insert(s.clientLinks).values(ids.map((key) => ({ channel: 'slack', key, clientId }))).onConflictDoNothing();
}

async function contactView(db: Db, c: typeof s.contacts.$inferSelect) {
  const ids = await db.select().from(s.identities).where(eq(s.identities.contactId, c.id));
  return { ...c, identities: ids.map((i) => ({ channel: i.channel, externalId: i.externalId, account: i.account })) };
}

/**
 * Inline calendar / policy objects become rows of their own, named after the client. Whenever the request touches
 * either, the pair the client ends up with must fit (see assertFit), including the clocks it already has running.
 */
async function settingsRefs(
  db: Db, name: string, body: z.infer<typeof clientBody> | Partial<z.infer<typeof clientBody>>,
  current?: { id: string; calendarId: string | null; policyId: string | null },
) {
  const out: { calendarId?: string | null; policyId?: string | null } = {};
  if (body.calendarId !== undefined) out.calendarId = body.calendarId;
  if (body.policyId !== undefined) out.policyId = body.policyId;
  if (body.calendar !== undefined && body.calendar !== null) problems(validateCalendar(body.calendar), 'calendar');
  if (body.policy !== undefined && body.policy !== null) problems(validatePolicy(body.policy), 'policy');
  const field = (['calendar', 'calendarId', 'policy', 'policyId'] as const).find((f) => body[f] !== undefined);
  if (!field) return out;
  // What the client ends up with: inline wins over an id, null means the defaults, absent keeps the current one.
  const calendarId = body.calendar === null ? null : out.calendarId !== undefined ? out.calendarId : (current?.calendarId ?? null);
  const policyId = body.policy === null ? null : out.policyId !== undefined ? out.policyId : (current?.policyId ?? null);
  const calendar = body.calendar ? normalizeCalendar(body.calendar as CalendarSpec) : await calendarSpec(db, calendarId);
  const policy = body.policy ? effectivePolicy(body.policy as never) : await policySpec(db, policyId);
  await assertFit(db, field, calendar, policy, current ? [current.id] : []);
  if (body.calendar === null) out.calendarId = null;
  else if (body.calendar !== undefined) {
    const id = randomUUID();
    await db.insert(s.calendars).values({ id, name: `${name} calendar`, spec: calendar });
    out.calendarId = id;
  }
  if (body.policy === null) out.policyId = null;
  else if (body.policy !== undefined) {
    const id = randomUUID();
    await db.insert(s.policies).values({ id, name: `${name} policy`, spec: body.policy as never });
    out.policyId = id;
  }
  return out;
}

export async function peopleRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;

  const M = ['managers'];
  app.post('/managers', { schema: doc({ tags: M, summary: 'Create a manager', body: managerCreate, ok: Manager, status: 201, errors: [409] }) }, async (req, reply) => {
    const b = parse(managerCreate, req.body);
    const row = await db.insert(s.managers).values({ id: randomUUID(), ...b }).returning().catch((e) => conflict(e, 'a manager with this Slack user id'));
    return reply.code(201).send(row[0]);
  });
  app.get('/managers', { schema: doc({ tags: M, summary: 'List managers', ok: z.object({ managers: z.array(Manager) }) }) }, async () => ({ managers: await db.select().from(s.managers).orderBy(asc(s.managers.createdAt)) }));
  app.get<{ Params: { id: string } }>('/managers/:id', { schema: doc({ tags: M, summary: 'Read a manager', params: idParam('manager'), ok: Manager }) }, async (req) =>
    one(db.select().from(s.managers).where(eq(s.managers.id, uuidParam(req.params.id, 'manager'))), 'manager'));
  app.patch<{ Params: { id: string } }>('/managers/:id', {
    schema: doc({ tags: M, summary: 'Change a manager', description: 'A status change moves their cases to and from cover, as /away and /back do.', params: idParam('manager'), body: managerPatch, ok: Manager, errors: [409] }),
  }, async (req) => {
    const b = parse(managerPatch, req.body);
    const id = uuidParam(req.params.id, 'manager');
    const { status, ...rest } = b;
    if (Object.keys(rest).length)
      await one(db.update(s.managers).set(rest).where(eq(s.managers.id, id)).returning().catch((e) => conflict(e, 'a manager with this Slack user id')), 'manager');
    // A status change moves cases (SPEC §4), so it goes through core rather than a plain update.
    if (status) await setManagerStatus(deps.core, id, status);
    return one(db.select().from(s.managers).where(eq(s.managers.id, id)), 'manager');
  });
  for (const [path, status] of [['away', 'away'], ['back', 'active']] as const)
    app.post<{ Params: { id: string } }>(`/managers/:id/${path}`, {
      schema: doc({
        tags: M, params: idParam('manager'),
        summary: path === 'away' ? 'Mark a manager away: their cases go to cover' : 'Mark a manager back: covered cases return to them',
        ok: z.object({ status: z.enum(['away', 'active']), casesMoved: z.int() }),
      }),
    }, async (req) => setManagerStatus(deps.core, uuidParam(req.params.id, 'manager'), status));

  const C = ['clients'];
  app.post('/clients', {
    schema: doc({ tags: C, summary: 'Create a client', description: 'With an inline calendar and policy, or calendarId / policyId; null means the defaults.', body: clientCreate, ok: Client, status: 201, errors: [409] }),
  }, async (req, reply) => {
    const b = parse(clientCreate, req.body);
    const { calendar: _c, policy: _p, slackConnectChannelId: _sc, slackConnectChannelIds: _scs, ...fields } = b;
    const shared = slackConnectIds(b);
    // One transaction: a client that can't be created leaves no calendar or policy rows behind.
    const row = await db
      .transaction(async (tx) => {
        const refs = await settingsRefs(tx as unknown as Db, b.name, b);
        const created = (await tx.insert(s.clients).values({ id: randomUUID(), ...fields, ...refs }).returning())[0];
        await setSlackConnect(tx as unknown as Db, created.id, shared);
        return created;
      })
      .catch((e) => conflict(e, 'a client with this in-app account id'));
    return reply.code(201).send(await clientView(db, row));
  });
  app.get<{ Querystring: { managerId?: string } }>('/clients', {
    schema: doc({ tags: C, summary: 'List clients', querystring: z.object({ managerId: z.uuid().optional() }), ok: z.object({ clients: z.array(Client) }) }),
  }, async (req) => {
    const rows = await db.select().from(s.clients).where(req.query.managerId ? eq(s.clients.managerId, uuidQuery(req.query.managerId, 'managerId')!) : undefined).orderBy(asc(s.clients.name));
    return { clients: await Promise.all(rows.map((c) => clientView(db, c))) };
  });
  app.get<{ Params: { id: string } }>('/clients/:id', { schema: doc({ tags: C, summary: 'Read a client', params: idParam('client'), ok: Client }) }, async (req) =>
    clientView(db, await one(db.select().from(s.clients).where(eq(s.clients.id, uuidParam(req.params.id, 'client'))), 'client')));
  app.patch<{ Params: { id: string } }>('/clients/:id', {
    schema: doc({ tags: C, summary: 'Change a client', params: idParam('client'), body: clientPatch, ok: Client, errors: [409] }),
  }, async (req) => {
    const b = parse(clientPatch, req.body);
    const id = uuidParam(req.params.id, 'client');
    const current = await one(db.select().from(s.clients).where(eq(s.clients.id, id)), 'client');
    const { calendar: _c, policy: _p, slackConnectChannelId: _sc, slackConnectChannelIds: _scs, ...fields } = b;
    const shared = slackConnectIds(b);
    const row = await db
      .transaction(async (tx) => {
        const patch = { ...fields, ...(await settingsRefs(tx as unknown as Db, b.name ?? current.name, b, current)) };
        const updated = Object.keys(patch).length ? (await tx.update(s.clients).set(patch).where(eq(s.clients.id, id)).returning())[0] : current;
        await setSlackConnect(tx as unknown as Db, id, shared);
        return updated;
      })
      .catch((e) => conflict(e, 'a client with this in-app account id'));
    return clientView(db, row);
  });

  const P = ['contacts'];
  app.post('/contacts', { schema: doc({ tags: P, summary: 'Create a contact, with their channel identities', body: contactCreate, ok: Contact, status: 201, errors: [409] }) }, async (req, reply) => {
    const b = parse(contactCreate, req.body);
    const id = randomUUID();
    const { identities, ...fields } = b;
    const rows: (typeof s.identities.$inferInsert)[] = [];
    for (const i of identities ?? []) rows.push({ id: randomUUID(), contactId: id, channel: i.channel, account: await accountFor(db, i, b.clientId), externalId: i.externalId });
    await db.transaction(async (tx) => {
      await tx.insert(s.contacts).values({ id, ...fields });
      if (rows.length) await tx.insert(s.identities).values(rows);
    }).catch((e) => conflict(e, 'the client or one of these identities'));
    return reply.code(201).send(await contactView(db, await one(db.select().from(s.contacts).where(eq(s.contacts.id, id)), 'contact')));
  });
  app.get<{ Querystring: { clientId?: string } }>('/contacts', {
    schema: doc({ tags: P, summary: 'List contacts', querystring: z.object({ clientId: z.uuid().optional() }), ok: z.object({ contacts: z.array(Contact) }) }),
  }, async (req) => {
    const rows = await db.select().from(s.contacts).where(req.query.clientId ? eq(s.contacts.clientId, uuidParam(req.query.clientId, 'client')) : undefined);
    return { contacts: await Promise.all(rows.map((c) => contactView(db, c))) };
  });
  app.get<{ Params: { id: string } }>('/contacts/:id', { schema: doc({ tags: P, summary: 'Read a contact', params: idParam('contact'), ok: Contact }) }, async (req) =>
    contactView(db, await one(db.select().from(s.contacts).where(eq(s.contacts.id, uuidParam(req.params.id, 'contact'))), 'contact')));
  app.patch<{ Params: { id: string } }>('/contacts/:id', { schema: doc({ tags: P, summary: 'Change a contact', params: idParam('contact'), body: contactPatch, ok: Contact }) }, async (req) => {
    const b = parse(contactPatch, req.body);
    const id = uuidParam(req.params.id, 'contact');
    const [row] = Object.keys(b).length ? await db.update(s.contacts).set(b).where(eq(s.contacts.id, id)).returning() : await db.select().from(s.contacts).where(eq(s.contacts.id, id));
    if (!row) throw new HttpError(404, 'contact not found');
    return contactView(db, row);
  });
  app.post<{ Params: { id: string } }>('/contacts/:id/identities', {
    schema: doc({ tags: P, summary: 'Add a channel identity to a contact', params: idParam('contact'), body: identity, ok: Contact, status: 201, errors: [409] }),
  }, async (req, reply) => {
    const b = parse(identity, req.body);
    const contact = await one(db.select().from(s.contacts).where(eq(s.contacts.id, uuidParam(req.params.id, 'contact'))), 'contact');
    await db.insert(s.identities).values({ id: randomUUID(), contactId: contact.id, channel: b.channel, account: await accountFor(db, b, contact.clientId), externalId: b.externalId }).catch((e) => conflict(e, 'this identity'));
    return reply.code(201).send(await contactView(db, contact));
  });
  app.delete<{ Params: { id: string } }>('/contacts/:id/identities', {
    schema: doc({ tags: P, summary: 'Remove a channel identity from a contact', params: idParam('contact'), body: identity, ok: Contact }),
  }, async (req) => {
    const b = parse(identity, req.body);
    const id = uuidParam(req.params.id, 'contact');
    await db.delete(s.identities).where(and(eq(s.identities.contactId, id), eq(s.identities.channel, b.channel), eq(s.identities.externalId, b.externalId), eq(s.identities.account, await accountFor(db, b, (await one(db.select().from(s.contacts).where(eq(s.contacts.id, id)), 'contact')).clientId))));
    return contactView(db, await one(db.select().from(s.contacts).where(eq(s.contacts.id, id)), 'contact'));
  });
}

/** An in-app identity's account is the client's in-app account id; other channels give their own scope or none. */
async function accountFor(db: Db, i: z.infer<typeof identity>, clientId: string): Promise<string> {
  if (i.account !== undefined) return i.account;
  if (i.channel !== 'inapp') return '';
  const [c] = await db.select({ a: s.clients.inappAccountId }).from(s.clients).where(eq(s.clients.id, clientId));
  if (!c?.a) throw new HttpError(400, 'identities: an in-app identity needs the client to have an inappAccountId (or an explicit account)');
  return c.a;
}
