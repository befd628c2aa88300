// Read-side queries for the HTTP API. Writes go through core and the Store; these only shape data for display.
import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { slaState } from '../core/sla/clocks';
import { DEFAULT_CALENDAR } from '../core/sla/calendar';
import type { Db } from './connect';
import * as s from './schema';

type CaseSelect = typeof s.cases.$inferSelect;

/** The latest response clock of each case: what the case's SLA state is read from. */
export async function latestResponseClocks(db: Db, caseIds: string[]) {
  if (!caseIds.length) return new Map<string, typeof s.slaClocks.$inferSelect>();
  const rows = await db
    .selectDistinctOn([s.slaClocks.caseId])
    .from(s.slaClocks)
    .where(and(inArray(s.slaClocks.caseId, caseIds), eq(s.slaClocks.kind, 'response')))
    .orderBy(s.slaClocks.caseId, desc(s.slaClocks.startedAt));
  return new Map(rows.map((r) => [r.caseId, r]));
}

export function caseView(c: CaseSelect, clock: typeof s.slaClocks.$inferSelect | undefined, now: Date, tier?: string) {
  const sla = slaState(c.status, clock ?? null, now);
  return {
    id: c.id, number: c.number, clientId: c.clientId, contactId: c.contactId, kind: c.kind, status: c.status, urgency: c.urgency,
    urgencySource: c.urgencySource, managerId: c.managerId, coveringForManagerId: c.coveringForManagerId, channel: c.channel,
    subject: c.subject, openedAt: c.openedAt.toISOString(), resolvedAt: c.resolvedAt?.toISOString() ?? null,
    eta: c.etaAt?.toISOString() ?? null, tier: tier ?? null,
    sla: { state: sla.state, dueAt: sla.dueAt?.toISOString() ?? null, startedAt: sla.startedAt?.toISOString() ?? null },
  };
}

export interface CaseFilter {
  status?: string[];
  clientId?: string;
  managerId?: string;
  urgency?: string;
  kind?: string;
  sla?: string;
  limit: number;
}

/** Premium before standard in every queue (SPEC §4), then the nearest running deadline, then the newest. */
export async function listCases(db: Db, f: CaseFilter, now: Date) {
  const conds = [
    f.status?.length ? inArray(s.cases.status, f.status) : undefined,
    f.clientId ? eq(s.cases.clientId, f.clientId) : undefined,
    f.managerId ? eq(s.cases.managerId, f.managerId) : undefined,
    f.urgency ? eq(s.cases.urgency, f.urgency) : undefined,
    f.kind ? eq(s.cases.kind, f.kind) : undefined,
  ].filter((x) => x !== undefined);
  const rows = await db
    .select({ c: s.cases, tier: s.clients.tier })
    .from(s.cases)
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(sql`CASE WHEN ${s.clients.tier} = 'premium' THEN 0 ELSE 1 END`, desc(s.cases.openedAt))
    // The SLA filter and the deadline order are computed from clocks, so read well past the page before cutting it.
    .limit(Math.min(5000, Math.max(1000, f.limit * 5)));
  const clocks = await latestResponseClocks(db, rows.map((r) => r.c.id));
  const views = rows.map((r) => caseView(r.c, clocks.get(r.c.id), now, r.tier)).filter((v) => !f.sla || v.sla.state === f.sla);
  const rank = (v: (typeof views)[number]) => (v.sla.state === 'running' || v.sla.state === 'breached' ? Date.parse(v.sla.dueAt!) : Infinity);
  return views.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'premium' ? -1 : 1) || rank(a) - rank(b) || b.number - a.number).slice(0, f.limit);
}

/** Case timeline and clock events merged in time order: every deadline explained. */
export async function explainedTimeline(db: Db, caseId: string) {
  const [events, clockEvents, messages] = [
    await db.select().from(s.timeline).where(eq(s.timeline.caseId, caseId)).orderBy(asc(s.timeline.id)),
    await db.select().from(s.clockEvents).where(eq(s.clockEvents.caseId, caseId)).orderBy(asc(s.clockEvents.id)),
    await db.select().from(s.messages).where(eq(s.messages.caseId, caseId)).orderBy(asc(s.messages.seq)),
  ];
  const items = [
    ...events.map((e) => ({ at: e.at, type: e.type, reason: e.reason, actor: e.actor, ...(e.data as Record<string, unknown>), origin: 'case' as const, order: 0 })),
    // Client messages are timeline entries in their own right (intake writes no row for them), unless an entry such
    // as 'opened' already names them.
    ...messages
      .filter((m) => m.direction === 'inbound' && !events.some((e) => (e.data as { messageId?: string }).messageId === m.id))
      .map((m) => ({ at: m.createdAt, type: 'client_message', reason: '', actor: `contact:${m.contactId}`, messageId: m.id, origin: 'message' as const, order: 0 })),
    ...clockEvents.map((e) => ({ at: e.at, type: `clock_${e.type}`, reason: e.reason, clockId: e.clockId, ...(e.data as Record<string, unknown>), origin: 'sla' as const, order: 1 })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);
  return {
    timeline: items.map(({ order: _o, at, ...rest }) => ({ at: at.toISOString(), ...rest })),
    messages: messages.map((m) => ({
      id: m.id, seq: m.seq, direction: m.direction, kind: m.kind, authorKind: m.authorKind, contactId: m.contactId, managerId: m.managerId,
      text: m.text, attachments: m.attachments, channel: m.channel, createdAt: m.createdAt.toISOString(),
    })),
  };
}

export async function caseEtas(db: Db, caseId: string) {
  const rows = await db
    .select({ eta: s.etas, clockState: s.slaClocks.state })
    .from(s.etas)
    .leftJoin(s.slaClocks, eq(s.slaClocks.etaId, s.etas.id))
    .where(eq(s.etas.caseId, caseId))
    .orderBy(asc(s.etas.revision));
  return rows.map(({ eta, clockState }) => ({
    revision: eta.revision, dueAt: eta.dueAt.toISOString(), postedAt: eta.postedAt.toISOString(), managerId: eta.managerId, note: eta.note,
    // A missed ETA is marked by the ticker on its clock; the ETA row keeps its state until the case moves on.
    state: clockState === 'missed' && eta.state === 'standing' ? 'missed' : eta.state,
  }));
}

/** Response clocks started in [from, to), for the SLA compliance report (admin API and Slack's /sla). */
export function slaReportRows(db: Db, f: { from: Date; to: Date; clientId?: string }) {
  return db
    .select({
      clientId: s.clients.id, clientName: s.clients.name, managerId: s.cases.managerId, managerName: s.managers.name,
      urgency: s.slaClocks.urgency, state: s.slaClocks.state, breachedAt: s.slaClocks.breachedAt, dueAt: s.slaClocks.dueAt,
    })
    .from(s.slaClocks)
    .innerJoin(s.cases, eq(s.cases.id, s.slaClocks.caseId))
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
    .where(and(eq(s.slaClocks.kind, 'response'), gte(s.slaClocks.startedAt, f.from), lt(s.slaClocks.startedAt, f.to), f.clientId ? eq(s.cases.clientId, f.clientId) : undefined));
}

/** The zone of the business calendar that governs a case (its client's, or the default). */
export async function caseZone(db: Db, ref: { id?: string; number?: number }): Promise<string> {
  const [row] = await db
    .select({ zone: sql<string | null>`${s.calendars.spec}->>'zone'` })
    .from(s.cases)
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.calendars, eq(s.calendars.id, s.clients.calendarId))
    .where(ref.id ? eq(s.cases.id, ref.id) : eq(s.cases.number, ref.number!));
  return row?.zone ?? DEFAULT_CALENDAR.zone;
}
