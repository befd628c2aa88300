// Read model of the SLA board (/board): what the support lead watches. Reads only; every figure comes from the
// stored clocks, so the board and the admin API's report agree.
import { and, asc, desc, eq, gte, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { DateTime } from 'luxon';
import { URGENCIES } from '../core/model';
import { complianceReport, type ComplianceRow, type ReportClock } from '../core/report';
import { DEFAULT_CALENDAR } from '../core/sla/calendar';
import { slaState } from '../core/sla/clocks';
import type { Db } from './connect';
import { latestResponseClocks } from './read-models';
import * as s from './schema';

/** Weeks and dates on the board are the vendor's: the zone of the default business calendar. */
export const BOARD_ZONE = DEFAULT_CALENDAR.zone;
const OPEN = ['open', 'waiting_on_client'];
/** More open cases than this and the board shows the nearest deadlines (and says how many it left out). */
const MAX_CASES = 500;

export type BoardState = 'running' | 'warned' | 'breached' | 'paused' | 'eta' | 'eta_missed' | 'met' | 'none';

type Clock = typeof s.slaClocks.$inferSelect;

/**
 * What currently governs an open case, and the deadline the board counts down to: a running response clock, else a
 * standing (or missed) ETA, else how the last response went. The SPEC's own SLA state is reported beside it.
 */
export function governing(status: string, response: Clock | undefined, eta: Clock | undefined, now: Date): { state: BoardState; dueAt: Date | null } {
  if (status === 'waiting_on_client') return { state: 'paused', dueAt: null };
  if (response?.state === 'running') {
    if (response.breachedAt || response.dueAt.getTime() <= now.getTime()) return { state: 'breached', dueAt: response.dueAt };
    return { state: response.warned.length ? 'warned' : 'running', dueAt: response.dueAt };
  }
  if (eta && (eta.state === 'missed' || (eta.state === 'running' && eta.dueAt.getTime() <= now.getTime()))) return { state: 'eta_missed', dueAt: eta.dueAt };
  if (eta?.state === 'running') return { state: 'eta', dueAt: eta.dueAt };
  if (response?.state === 'met' || response?.state === 'breached') return { state: response.state, dueAt: null };
  return { state: 'none', dueAt: null };
}

async function latestEtaClocks(db: Db, caseIds: string[]) {
  if (!caseIds.length) return new Map<string, Clock>();
  const rows = await db
    .selectDistinctOn([s.slaClocks.caseId])
    .from(s.slaClocks)
    .where(and(inArray(s.slaClocks.caseId, caseIds), eq(s.slaClocks.kind, 'eta')))
    .orderBy(s.slaClocks.caseId, desc(s.slaClocks.startedAt));
  return new Map(rows.filter((r) => r.state === 'running' || r.state === 'missed').map((r) => [r.caseId, r]));
}

const runningResponse = alias(s.slaClocks, 'running_response');

/** Open cases, nearest deadline first (premium before standard on a tie); paused and settled cases after them. */
export async function openCases(db: Db, now: Date) {
  const deadline = sql`COALESCE(${runningResponse.dueAt}, ${s.cases.etaAt})`;
  const rows = await db
    .select({ c: s.cases, clientName: s.clients.name, tier: s.clients.tier, managerName: s.managers.name })
    .from(s.cases)
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
    // At most one running response clock per case (a unique index says so): the join can't multiply rows.
    .leftJoin(runningResponse, and(eq(runningResponse.caseId, s.cases.id), eq(runningResponse.kind, 'response'), eq(runningResponse.state, 'running')))
    .where(inArray(s.cases.status, OPEN))
    .orderBy(sql`CASE WHEN ${s.cases.status} = 'waiting_on_client' THEN 1 ELSE 0 END`, sql`${deadline} ASC NULLS LAST`, sql`CASE WHEN ${s.clients.tier} = 'premium' THEN 0 ELSE 1 END`, asc(s.cases.number))
    .limit(MAX_CASES + 1);
  const shown = rows.slice(0, MAX_CASES);
  const ids = shown.map((r) => r.c.id);
  const [responses, etas] = [await latestResponseClocks(db, ids), await latestEtaClocks(db, ids)];
  const names = await managerNames(db, shown.map((r) => r.c.coveringForManagerId));
  const cases = shown.map(({ c, clientName, tier, managerName }) => {
    const response = responses.get(c.id);
    const g = governing(c.status, response, etas.get(c.id), now);
    const sla = slaState(c.status, response ?? null, now);
    return {
      id: c.id, number: c.number, subject: c.subject.slice(0, 140), kind: c.kind, status: c.status, urgency: c.urgency, channel: c.channel,
      client: { id: c.clientId, name: clientName, tier },
      manager: c.managerId ? { id: c.managerId, name: managerName ?? '' } : null,
      coveringFor: c.coveringForManagerId ? { id: c.coveringForManagerId, name: names.get(c.coveringForManagerId) ?? '' } : null,
      openedAt: c.openedAt.toISOString(),
      state: g.state, dueAt: g.dueAt?.toISOString() ?? null,
      eta: etas.get(c.id)?.dueAt.toISOString() ?? null,
      sla: { state: sla.state, dueAt: sla.dueAt?.toISOString() ?? null },
    };
  });
  return { cases, more: rows.length > MAX_CASES };
}

async function managerNames(db: Db, ids: (string | null)[]) {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (!wanted.length) return new Map<string, string>();
  const rows = await db.select({ id: s.managers.id, name: s.managers.name }).from(s.managers).where(inArray(s.managers.id, wanted));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Every manager with their open cases, whether they are away, and whose cases they hold while someone is. */
export async function managerLoad(db: Db) {
  const managers = await db.select().from(s.managers).orderBy(asc(s.managers.name));
  const load = await db
    .select({ managerId: s.cases.managerId, coveringFor: s.cases.coveringForManagerId, n: sql<number>`count(*)::int` })
    .from(s.cases)
    .where(and(inArray(s.cases.status, OPEN), isNotNull(s.cases.managerId)))
    .groupBy(s.cases.managerId, s.cases.coveringForManagerId);
  const name = new Map(managers.map((m) => [m.id, m.name]));
  return managers.map((m) => {
    const mine = load.filter((l) => l.managerId === m.id);
    return {
      id: m.id, name: m.name, status: m.status, onCall: m.onCall, timeZone: m.timeZone,
      openCases: mine.reduce((n, l) => n + l.n, 0),
      coveringFor: mine.filter((l) => l.coveringFor).map((l) => ({ id: l.coveringFor!, name: name.get(l.coveringFor!) ?? '', cases: l.n })),
      coveredBy: load.filter((l) => l.coveringFor === m.id && l.managerId).map((l) => ({ id: l.managerId!, name: name.get(l.managerId!) ?? '', cases: l.n })),
    };
  });
}

/** Monday 00:00 of the ISO week holding `now`, in the vendor's zone. */
export const weekStart = (now: Date) => DateTime.fromJSDate(now, { zone: BOARD_ZONE }).startOf('week').toJSDate();

/**
 * This week's breaches: response deadlines that fell between Monday 00:00 and now and were not met by then (still
 * running past them, or answered late). A deadline moved later by an urgency change is not a breach.
 */
export async function weekBreaches(db: Db, now: Date) {
  const from = weekStart(now);
  const rows = await db
    .select({ clock: s.slaClocks, number: s.cases.number, status: s.cases.status, clientName: s.clients.name, managerName: s.managers.name })
    .from(s.slaClocks)
    .innerJoin(s.cases, eq(s.cases.id, s.slaClocks.caseId))
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
    .where(and(eq(s.slaClocks.kind, 'response'), gte(s.slaClocks.dueAt, from), lte(s.slaClocks.dueAt, now), inArray(s.slaClocks.state, ['running', 'breached'])))
    .orderBy(desc(s.slaClocks.dueAt))
    .limit(200);
  return {
    from: from.toISOString(),
    breaches: rows.map((r) => ({
      caseId: r.clock.caseId, number: r.number, caseStatus: r.status, client: r.clientName, manager: r.managerName, urgency: r.clock.urgency,
      dueAt: r.clock.dueAt.toISOString(), respondedAt: r.clock.state === 'breached' ? (r.clock.stoppedAt?.toISOString() ?? null) : null,
    })),
  };
}

export async function boardState(db: Db, now: Date) {
  const [open, managers, week] = [await openCases(db, now), await managerLoad(db), await weekBreaches(db, now)];
  return { now: now.toISOString(), zone: BOARD_ZONE, ...open, managers, week };
}

// ---- charts over a date range ----

/** Response clocks started in [from, to), with what the charts need beyond the report's fields. */
async function rangeClocks(db: Db, from: Date, to: Date) {
  return db
    .select({
      caseId: s.slaClocks.caseId, clientId: s.clients.id, clientName: s.clients.name, managerId: s.cases.managerId, managerName: s.managers.name,
      urgency: s.slaClocks.urgency, state: s.slaClocks.state, breachedAt: s.slaClocks.breachedAt, dueAt: s.slaClocks.dueAt,
      startedAt: s.slaClocks.startedAt, stoppedAt: s.slaClocks.stoppedAt,
      // The case's first response clock is the one no earlier response clock of the case precedes.
      first: sql<boolean>`NOT EXISTS (SELECT 1 FROM sla_clocks earlier WHERE earlier.case_id = ${s.slaClocks.caseId} AND earlier.kind = 'response' AND earlier.started_at < ${s.slaClocks.startedAt})`,
    })
    .from(s.slaClocks)
    .innerJoin(s.cases, eq(s.cases.id, s.slaClocks.caseId))
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
    .where(and(eq(s.slaClocks.kind, 'response'), gte(s.slaClocks.startedAt, from), lt(s.slaClocks.startedAt, to)));
}

type RangeClock = Awaited<ReturnType<typeof rangeClocks>>[number];

/** First-response-time buckets, in minutes: [lower, upper). */
export const FRT_BUCKETS: [string, number, number][] = [
  ['< 5 min', 0, 5], ['5–15 min', 5, 15], ['15–30 min', 15, 30], ['30–60 min', 30, 60], ['1–2 h', 60, 120],
  ['2–4 h', 120, 240], ['4–8 h', 240, 480], ['8–24 h', 480, 1440], ['≥ 24 h', 1440, Infinity],
];

/**
 * A case's first response time: wall-clock minutes from the start of its first response clock (the case opening)
 * to the response that stopped that clock (a resolution, an ETA or a request for details — met or late). Cases whose
 * first clock still runs, or was cancelled, have none yet. Wall-clock, not business time: what the client waited.
 */
export function firstResponseMinutes(c: Pick<RangeClock, 'first' | 'state' | 'startedAt' | 'stoppedAt'>): number | null {
  if (!c.first || !c.stoppedAt || (c.state !== 'met' && c.state !== 'breached')) return null;
  return Math.max(0, (c.stoppedAt.getTime() - c.startedAt.getTime()) / 60_000);
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return Math.round((sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo)) * 10) / 10;
}

function frtStats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { responded: sorted.length, medianMinutes: quantile(sorted, 0.5), p90Minutes: quantile(sorted, 0.9) };
}

const weekKey = (d: Date) => {
  const t = DateTime.fromJSDate(d, { zone: BOARD_ZONE });
  return `${t.weekYear}-W${String(t.weekNumber).padStart(2, '0')}`;
};

/** `from` and `to` are the vendor's calendar dates (YYYY-MM-DD), both included. */
export async function boardCharts(db: Db, range: { from: string; to: string }, now: Date) {
  const start = DateTime.fromISO(range.from, { zone: BOARD_ZONE }).startOf('day');
  const end = DateTime.fromISO(range.to, { zone: BOARD_ZONE }).plus({ days: 1 }).startOf('day');
  const clocks = await rangeClocks(db, start.toJSDate(), end.toJSDate());
  const asReport = (list: RangeClock[]): ReportClock[] => list.filter((c) => c.state !== 'cancelled');

  const weeks: { week: string; from: string; clocks: RangeClock[] }[] = [];
  for (let w = start.startOf('week'); w < end; w = w.plus({ weeks: 1 })) weeks.push({ week: weekKey(w.toJSDate()), from: w.toISODate()!, clocks: [] });
  const byWeek = new Map(weeks.map((w) => [w.week, w]));
  for (const c of clocks) byWeek.get(weekKey(c.startedAt))?.clocks.push(c);

  const report = complianceReport(asReport(clocks), now);
  const order = new Map<string, number>(URGENCIES.map((u, i) => [u, i]));
  const frt = clocks.map((c) => ({ c, m: firstResponseMinutes(c) }));
  const answered = frt.filter((x): x is { c: RangeClock; m: number } => x.m !== null);
  const withFrt = (rows: ComplianceRow[], keyOf: (c: RangeClock) => string) =>
    rows.map((r) => ({ ...r, ...frtStats(answered.filter((x) => keyOf(x.c) === r.key).map((x) => x.m)) }));

  return {
    from: start.toISODate(), to: range.to, zone: BOARD_ZONE,
    totals: { ...report.totals, ...frtStats(answered.map((x) => x.m)), awaitingFirstResponse: frt.filter((x) => x.c.first && x.c.state === 'running').length },
    weekly: weeks.map((w) => {
      const t = complianceReport(asReport(w.clocks), now).totals;
      return { week: w.week, from: w.from, total: t.total, met: t.met, breached: t.breached, running: t.running, compliance: t.compliance };
    }),
    byUrgency: [...report.byUrgency].sort((a, b) => (order.get(a.key) ?? 99) - (order.get(b.key) ?? 99)),
    firstResponse: FRT_BUCKETS.map(([label, lo, hi]) => ({ label, fromMinutes: lo, toMinutes: Number.isFinite(hi) ? hi : null, cases: answered.filter((x) => x.m >= lo && x.m < hi).length })),
    byClient: withFrt(report.byClient, (c) => c.clientId),
    byManager: withFrt(report.byManager, (c) => c.managerId ?? 'unassigned'),
  };
}

/**
 * A cheap fingerprint of what the board shows: the newest clock event, the open cases' change counters and the
 * managers' statuses. Polled while a board is open; a change tells the boards to fetch again.
 */
export async function changeStamp(db: Db): Promise<string> {
  const [row] = await db
    .select({
      events: sql<string>`(SELECT COALESCE(MAX(${s.clockEvents.id}), 0) FROM ${s.clockEvents})::text`,
      cases: sql<string>`(SELECT COUNT(*) || '/' || COALESCE(SUM(${s.cases.version}), 0) FROM ${s.cases} WHERE ${or(eq(s.cases.status, 'open'), eq(s.cases.status, 'waiting_on_client'))})`,
      managers: sql<string>`(SELECT COUNT(*) || '/' || COALESCE(MD5(STRING_AGG(${s.managers.id}::text || ${s.managers.status} || ${s.managers.name} || ${s.managers.onCall}::text, ',' ORDER BY ${s.managers.id})), '') FROM ${s.managers})`,
    })
    .from(sql`(SELECT 1) AS one`);
  return `${row.events}:${row.cases}:${row.managers}`;
}
