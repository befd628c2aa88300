// One failure must not block the loop. A clock whose processing throws (here: its client's calendar, broken
// straight in the database, cannot compute) and an outbox row whose delivery code throws something that is not a
// platform's answer are each recorded — on the case's timeline, in an error log line with their ids, in a metric —
// set aside with backoff, and every other client's alerts and messages go on. Time is the injected clock.
import { and, eq, sql } from 'drizzle-orm';
import * as s from '../../src/db/schema';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { msk } from '../support/clock';

let t: TestService;
let maria: string;
const CALENDAR = { zone: 'Europe/Moscow', week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['10:00', '19:00']]])), holidays: [] };

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' });
  expect(m.status).toBe(201);
  maria = m.json.id;
});
afterAll(() => t.close());

async function open(account: string, text: string, calendar?: unknown) {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account, ...(calendar ? { calendar } : {}) });
  expect(c.status).toBe(201);
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-u`, name: 'Cleo' }, text }));
  expect(res.status).toBe(200);
  return { caseId: res.json.case.id as string, number: res.json.case.number as number, clientId: c.json.id as string };
}

async function timeline(number: number) {
  const res = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(res.status).toBe(200);
  return res.json.timeline as { type: string; reason: string; [k: string]: unknown }[];
}

async function metric(name: string, labels: string): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const errorsAbout = (key: string, value: unknown) => t.log.entries.filter((e) => e.level === 'error' && (e.obj as Record<string, unknown>)[key] === value);

test('a clock whose calendar cannot compute is set aside with backoff; other clients still get their warnings', async () => {
  t.clock.moveTo(msk('2026-11-23', '11:00'));
  const broken = await open('acct-broken-cal', 'Our tracking pixel fires twice', CALENDAR);
  t.clock.advance(60_000);
  const fine = await open('acct-fine', 'Where is the payout report?');
  await t.drain();
  // Another engineer's validation keeps such calendars out of the API; a row corrupted underneath must not stall the ticker.
  await t.db.db.execute(sql`UPDATE calendars SET spec = jsonb_set(spec, '{zone}', '"Mars/Olympus_Mons"')
    WHERE id = (SELECT calendar_id FROM clients WHERE id = ${broken.clientId})`);

  // 50 % of a one-hour target for both; the broken clock is first in due order.
  t.clock.moveTo(msk('2026-11-23', '11:32'));
  expect(await t.tick()).toBe(1);
  await t.drain();
  const warnings = () => t.notices.filter((n) => n.type === 'sla_warning');
  expect(warnings().map((n) => n.caseNumber)).toEqual([fine.number]);

  // Recorded: on the case's timeline, in an error line with the ids (and no message text), in a metric.
  const failed = (await timeline(broken.number)).filter((e) => e.type === 'clock_failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].reason).toMatch(/could not be processed: .*Mars\/Olympus_Mons/);
  const logged = errorsAbout('caseId', broken.caseId);
  expect(logged).toHaveLength(1);
  expect(logged[0].obj).toMatchObject({ clockId: expect.any(String), caseId: broken.caseId, err: expect.stringMatching(/calendar/) });
  expect(JSON.stringify(logged[0])).not.toContain('tracking pixel');
  expect(await metric('switchboard_job_errors_total', 'job="sla"')).toBe(1);

  // Set aside: the next passes don't hit it again until its retry time (a few seconds, growing while it fails).
  const [clock] = await t.db.db.select().from(s.slaClocks).where(and(eq(s.slaClocks.caseId, broken.caseId), eq(s.slaClocks.kind, 'response')));
  expect(clock.nextFireAt!.getTime()).toBeGreaterThan(t.clock.now().getTime());
  expect(clock.nextFireAt!.getTime()).toBeLessThanOrEqual(t.clock.now().getTime() + 6_000);
  expect(await t.tick()).toBe(0);
  expect(await metric('switchboard_job_errors_total', 'job="sla"')).toBe(1);

  t.clock.advance(10_000);
  expect(await t.tick()).toBe(0);
  expect(await metric('switchboard_job_errors_total', 'job="sla"')).toBe(2);
  // The same problem again is logged and counted, not written to the timeline once per retry.
  expect((await timeline(broken.number)).filter((e) => e.type === 'clock_failed')).toHaveLength(1);
  const [again] = await t.db.db.select().from(s.slaClocks).where(eq(s.slaClocks.id, clock.id));
  expect(again.nextFireAt!.getTime() - t.clock.now().getTime()).toBeGreaterThan(6_000);

  // Fixed, it catches up on its next retry: the most urgent pending alert is sent.
  await t.db.db.execute(sql`UPDATE calendars SET spec = jsonb_set(spec, '{zone}', '"Europe/Moscow"')
    WHERE id = (SELECT calendar_id FROM clients WHERE id = ${broken.clientId})`);
  t.clock.advance(30_000);
  expect(await t.tick()).toBe(1);
  await t.drain();
  expect(warnings().map((n) => n.caseNumber)).toEqual([fine.number, broken.number]);
});

test('an outbox row whose delivery code throws is recorded and retried with backoff; the other rows are delivered', async () => {
  const bad = await open('acct-bad-row', 'The export button is greyed out');
  await open('acct-good-row', 'Can we add a second admin?');
  const [row] = await t.db.db.select().from(s.outbox).where(and(eq(s.outbox.caseId, bad.caseId), eq(s.outbox.target, 'client')));
  // A payload no code expects: composing it throws a TypeError, not a DeliveryError from the platform.
  await t.db.db.execute(sql`UPDATE outbox SET payload = 'null'::jsonb WHERE id = ${row.id}`);

  const stats = await t.drain();
  expect(stats.retried).toBe(1);
  expect(t.callback.received.filter((r) => r.body.account?.id === 'acct-good-row').map((r) => r.body.kind)).toEqual(['ack']);
  expect(t.callback.received.filter((r) => r.body.account?.id === 'acct-bad-row')).toEqual([]);

  const [after] = await t.db.db.select().from(s.outbox).where(eq(s.outbox.id, row.id));
  expect(after).toMatchObject({ status: 'pending', attempts: 1 });
  expect(after.lastError).toMatch(/null/);
  expect(after.nextAttemptAt.getTime()).toBeGreaterThan(t.clock.now().getTime());

  const logged = errorsAbout('outboxId', row.id);
  expect(logged).toHaveLength(1);
  expect(logged[0].obj).toMatchObject({ outboxId: row.id, caseId: bad.caseId, channel: 'inapp' });
  expect(JSON.stringify(logged[0])).not.toContain('greyed out');
  const recorded = (await timeline(bad.number)).filter((e) => e.type === 'delivery_error');
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({ outboxId: row.id, target: 'client', channel: 'inapp' });
  expect(await metric('switchboard_job_errors_total', 'job="outbox"')).toBe(1);
  expect(await metric('switchboard_outbox_total', 'target="client",result="retried"')).toBe(1);

  // Retried after its backoff, not before; the same failure is not written to the timeline twice.
  expect(await t.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
  t.clock.advance(3_000);
  expect((await t.drain()).retried).toBe(1);
  expect(await metric('switchboard_job_errors_total', 'job="outbox"')).toBe(2);
  expect((await timeline(bad.number)).filter((e) => e.type === 'delivery_error')).toHaveLength(1);
});

test('handing off-hours cover back: one manager whose client data cannot compute holds up no other manager', async () => {
  const { returnOffHoursCover } = await import('../../src/core/commands');
  const first = (await t.admin('POST', '/api/v1/managers', { name: 'Anna First', timeZone: 'Europe/Moscow' })).json.id;
  const second = (await t.admin('POST', '/api/v1/managers', { name: 'Boris Second', timeZone: 'Europe/Moscow' })).json.id;
  const oncall = (await t.admin('POST', '/api/v1/managers', { name: 'Olga Oncall', timeZone: 'Europe/Moscow', onCall: true })).json.id;
  t.clock.moveTo(msk('2026-11-24', '22:00'));
  const covered = async (account: string, managerId: string) => {
    const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId, inappAccountId: account, calendar: CALENDAR });
    const res = await t.inapp(inappMessage({ account: { id: account }, user: { id: `${account}-u`, name: 'Cleo' }, text: 'Everything is down!' }));
    expect((await t.admin('GET', `/api/v1/cases/${res.json.case.number}`)).json).toMatchObject({ managerId: oncall, coveringForManagerId: managerId });
    return { clientId: c.json.id as string, number: res.json.case.number as number };
  };
  const a = await covered('acct-cover-broken', first);
  const b = await covered('acct-cover-fine', second);
  await t.db.db.execute(sql`UPDATE calendars SET spec = jsonb_set(spec, '{week}', '"not a week"')
    WHERE id = (SELECT calendar_id FROM clients WHERE id = ${a.clientId})`);
  t.clock.moveTo(msk('2026-11-25', '10:01'));
  expect(await returnOffHoursCover(t.core)).toBe(1);
  expect((await t.admin('GET', `/api/v1/cases/${b.number}`)).json).toMatchObject({ managerId: second, coveringForManagerId: null });
  expect((await t.admin('GET', `/api/v1/cases/${a.number}`)).json).toMatchObject({ managerId: oncall, coveringForManagerId: first });
  expect(errorsAbout('managerId', first)).toHaveLength(1);
});
