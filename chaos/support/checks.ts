// What the cases check, read from the scratch database, the callback server and the services' logs. "Exactly once"
// is counted: a repeat is allowed only for a row that was being sent (status `sending`) at the moment of a fault —
// the one delivery whose outcome the dead sender could not record — and every repeat is reported.
import { sql } from 'drizzle-orm';
import type { CallbackServer } from '../../test/support/callback-server';
import type { TestDatabase } from '../../test/support/db';
import { sleep, type ServiceProcess } from './service';

export async function rows<T = Record<string, any>>(db: TestDatabase, query: string): Promise<T[]> {
  return ((await db.db.execute(sql.raw(query))) as unknown as { rows: T[] }).rows;
}

/** Each in-app id → how many inbound messages carry it; and how many inbound in-app messages there are at all. */
export async function storedInapp(db: TestDatabase): Promise<{ byId: Map<string, number>; total: number }> {
  const byId = new Map<string, number>();
  for (const r of await rows<{ id: string; n: string }>(db, `SELECT p.external_id AS id, count(m.id) AS n FROM message_platform_ids p
      JOIN messages m ON m.id = p.message_id WHERE p.channel = 'inapp' AND p.direction = 'inbound' GROUP BY p.external_id`))
    byId.set(r.id, Number(r.n));
  const [t] = await rows<{ n: string }>(db, `SELECT count(*) AS n FROM messages WHERE channel = 'inapp' AND direction = 'inbound'`);
  return { byId, total: Number(t.n) };
}

/** Ids whose count is not exactly one (0 = lost, 2+ = doubled). */
export function notOnce(byId: Map<string, number>, ids: Iterable<string>): { lost: string[]; doubled: string[] } {
  const lost: string[] = [];
  const doubled: string[] = [];
  for (const id of ids) {
    const n = byId.get(id) ?? 0;
    if (n === 0) lost.push(id);
    else if (n > 1) doubled.push(id);
  }
  return { lost, doubled };
}

export interface InFlightRow {
  id: number;
  target: string;
  type: string | null;
  caseNumber: number | null;
}

/** Rows claimed and not finished: what a fault at this moment may deliver a second time. */
export async function inFlight(db: TestDatabase): Promise<InFlightRow[]> {
  return (await rows<any>(db, `SELECT id, target, payload->>'type' AS type, (payload->>'caseNumber')::int AS "caseNumber" FROM outbox WHERE status = 'sending'`))
    .map((r) => ({ id: Number(r.id), target: r.target, type: r.type, caseNumber: r.caseNumber }));
}

/** Waits until no connection of a killed service is left on the server (its open transactions rolled back). */
export async function backendsGone(db: TestDatabase, killed: ServiceProcess, ms = 10_000): Promise<void> {
  const name = new URL(db.url!).pathname.slice(1);
  for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) {
    const [r] = await rows<{ n: string }>(db, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${name}' AND application_name = '${killed.appName}'`);
    if (Number(r.n) === 0) return;
  }
  throw new Error('the killed service still has connections to the database');
}

export async function outboxByStatus(db: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await rows<{ k: string; n: string }>(db, `SELECT target || ':' || status AS k, count(*) AS n FROM outbox GROUP BY 1 ORDER BY 1`)) out[r.k] = Number(r.n);
  return out;
}

/** Resolves once nothing is pending or being sent, and then how long it took. */
export async function drained(db: TestDatabase, ms = 60_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const [r] = await rows<{ n: string }>(db, `SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')`);
    if (Number(r.n) === 0) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`outbox not drained after ${ms} ms: ${JSON.stringify(await outboxByStatus(db))}`);
    await sleep(200);
  }
}

export interface DeliveryCount {
  expected: number;
  received: number;
  missing: number[];
  unexpected: string[];
  /** Outbox ids that reached the callback more than once, and how many extra deliveries that made. */
  repeated: number[];
  extra: number;
  /** Repeats of rows that were not being sent at a fault: never allowed. */
  repeatedNotInFlight: number[];
}

/** Client deliveries at the callback server, by the `id` every retry keeps (outbox-<row id>). */
export async function clientDeliveries(db: TestDatabase, callback: CallbackServer, allowed: Set<number> = new Set()): Promise<DeliveryCount> {
  const expected = (await rows<{ id: string }>(db, `SELECT id FROM outbox WHERE target = 'client' AND channel = 'inapp'`)).map((r) => Number(r.id));
  const counts = new Map<string, number>();
  for (const r of callback.received) counts.set(r.body.id, (counts.get(r.body.id) ?? 0) + 1);
  const known = new Set(expected.map((id) => `outbox-${id}`));
  const repeated = expected.filter((id) => (counts.get(`outbox-${id}`) ?? 0) > 1);
  return {
    expected: expected.length,
    received: callback.received.length,
    missing: expected.filter((id) => !counts.has(`outbox-${id}`)),
    unexpected: [...counts.keys()].filter((k) => !known.has(k)),
    repeated,
    extra: repeated.reduce((n, id) => n + counts.get(`outbox-${id}`)! - 1, 0),
    repeatedNotInFlight: repeated.filter((id) => !allowed.has(id)),
  };
}

/** Per account: how many distinct acknowledgements (kind `ack`) reached it. */
export function acksPerAccount(callback: CallbackServer): Map<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const r of callback.received) {
    if (r.body.kind !== 'ack') continue;
    const set = ids.get(r.body.account.id) ?? new Set<string>();
    set.add(r.body.id);
    ids.set(r.body.account.id, set);
  }
  return new Map([...ids].map(([k, v]) => [k, v.size]));
}

export interface NoticeCount {
  rows: number;
  logged: number;
  /** Notices logged more often than their rows say they were sent: the keys and the extra lines. */
  repeats: { key: string; extra: number; allowed: number; times: number[] }[];
  /** Sent rows with no log line: a notice recorded as sent that nobody saw. */
  missing: string[];
  byType: Record<string, number>;
}

const key = (type: string | null, caseNumber: number | null) => `${type}#${caseNumber ?? '-'}`;

/**
 * Console notices (LogConsole lines: type and case number) against the console rows recorded as sent. LogConsole
 * names no row, so notices are matched by (type, case number): more lines than rows for a key is a repeat, allowed
 * only up to the number of that key's rows that were in flight at a fault.
 */
export async function consoleNotices(db: TestDatabase, services: ServiceProcess[], inFlightRows: InFlightRow[] = []): Promise<NoticeCount> {
  const sent = new Map<string, number>();
  const byType: Record<string, number> = {};
  const all = await rows<{ type: string; cn: number | null; status: string }>(db, `SELECT payload->>'type' AS type, (payload->>'caseNumber')::int AS cn, status FROM outbox WHERE target = 'console'`);
  for (const r of all) {
    if (r.status !== 'sent') continue;
    sent.set(key(r.type, r.cn), (sent.get(key(r.type, r.cn)) ?? 0) + 1);
    byType[r.type] = (byType[r.type] ?? 0) + 1;
  }
  const logged = new Map<string, number>();
  const times = new Map<string, number[]>();
  let lines = 0;
  for (const s of services)
    for (const n of s.notices()) {
      const k = key(n.notice, n.caseNumber);
      lines++;
      logged.set(k, (logged.get(k) ?? 0) + 1);
      if (!times.has(k)) times.set(k, []);
      times.get(k)!.push(n.at);
    }
  const allowed = new Map<string, number>();
  for (const r of inFlightRows) if (r.target === 'console') allowed.set(key(r.type, r.caseNumber), (allowed.get(key(r.type, r.caseNumber)) ?? 0) + 1);
  const repeats: NoticeCount['repeats'] = [];
  const missing: string[] = [];
  for (const k of new Set([...sent.keys(), ...logged.keys()])) {
    const diff = (logged.get(k) ?? 0) - (sent.get(k) ?? 0);
    if (diff > 0) repeats.push({ key: k, extra: diff, allowed: allowed.get(k) ?? 0, times: times.get(k)! });
    if (diff < 0) missing.push(k);
  }
  return { rows: [...sent.values()].reduce((a, b) => a + b, 0), logged: lines, repeats, missing, byType };
}

/** A case's summary: a title and `label: value` lines, on stdout (jest keeps console.log for itself). */
export function report(title: string, lines: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(lines).map((k) => k.length));
  const body = Object.entries(lines).map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  process.stdout.write(`\n== ${title}\n${body.join('\n')}\n\n`);
}
