// Edge cases a support team would notice, each once a bug: a broken promise must restart the clock, a resolved
// case must fall silent, a manager's urgency must survive a reopen, waiting on the client stops everything, and
// no race may leave two running response clocks on one case.
import { randomUUID } from 'node:crypto';
import { ChangeSet } from '../../src/core/changes';
import { ConflictError } from '../../src/core/ports';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { msk } from '../support/clock';

let t: TestService;
let maria: string;

beforeAll(async () => {
  t = await startTestService();
  maria = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' })).json.id;
});
afterAll(() => t.close());


async function client(account: string) {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account });
  expect(c.status).toBe(201);
  return c.json.id as string;
}
async function send(account: string, text: string, over: Record<string, unknown> = {}) {
  const res = await t.inapp(inappMessage({ account: { id: account }, user: { id: `${account}-u`, name: 'Cleo' }, text, ...over }));
  expect(res.status).toBe(200);
  return res.json;
}
const getCase = async (n: number) => (await t.admin('GET', `/api/v1/cases/${n}`)).json;
const act = async (n: number, action: string, body: Record<string, unknown>) => {
  const res = await t.admin('POST', `/api/v1/cases/${n}/${action}`, { managerId: maria, ...body });
  expect(res.status).toBe(200);
  return res.json.result;
};

test('a missed ETA stops standing: the next client message starts a response clock', async () => {
  t.clock.set(msk('2026-11-23', '11:00'));
  await client('edge-eta');
  const n = (await send('edge-eta', 'Reports are empty')).case.number;
  await act(n, 'eta', { dueAt: msk('2026-11-23', '12:00').toISOString() });
  t.clock.set(msk('2026-11-23', '12:30'));
  expect(await t.tick()).toBeGreaterThanOrEqual(1);
  const missed = await getCase(n);
  expect(missed.eta).toBeNull();
  expect(missed.etas).toEqual([expect.objectContaining({ revision: 1, state: 'missed' })]);

  t.clock.set(msk('2026-11-23', '13:00'));
  await send('edge-eta', 'Any news? You promised noon.');
  const after = await getCase(n);
  expect(after.sla).toMatchObject({ state: 'running', startedAt: msk('2026-11-23', '13:00').toISOString(), dueAt: msk('2026-11-23', '14:00').toISOString() });
});

test('resolving a funnel activation silences its milestones', async () => {
  t.clock.set(msk('2026-11-24', '11:00'));
  const id = await client('edge-funnel');
  await send('edge-funnel', 'Hello');
  const f = await t.admin('POST', `/api/v1/clients/${id}/funnel-activations`, {
    title: 'Activate the Google Ads funnel', milestones: [{ title: 'Pixel installed', dueAt: msk('2026-11-25', '12:00').toISOString() }],
  });
  expect(f.status).toBe(201);
  await act(f.json.number, 'resolve', { summary: 'Activated early' });
  t.clock.set(msk('2026-11-25', '13:00'));
  await t.tick();
  await t.drain();
  expect(t.notices.filter((x) => x.caseNumber === f.json.number && x.type === 'milestone_missed')).toEqual([]);
  const kase = await getCase(f.json.number);
  expect(kase.timeline.filter((e: { type: string; reason: string }) => e.type === 'clock_cancelled').map((e: { reason: string }) => e.reason)).toContain('case resolved');
});

test("a reopen keeps the manager's urgency against the client's choice", async () => {
  t.clock.set(msk('2026-11-25', '14:00'));
  await client('edge-reopen');
  const n = (await send('edge-reopen', 'Something is odd')).case.number;
  await act(n, 'urgency', { urgency: 'critical', reason: 'revenue at stake' });
  await act(n, 'resolve', {});
  t.clock.set(msk('2026-11-25', '15:00'));
  const again = await send('edge-reopen', 'It happened again', { urgency: 'low' });
  expect(again.case).toMatchObject({ number: n, reopened: true });
  const kase = await getCase(n);
  expect(kase).toMatchObject({ urgency: 'critical', urgencySource: 'manager' });
  expect(kase.sla.dueAt).toBe(msk('2026-11-25', '15:15').toISOString());
});

test('asking for details withdraws a standing ETA, so nothing can be missed while the case waits', async () => {
  t.clock.set(msk('2026-11-26', '11:00'));
  await client('edge-wait');
  const n = (await send('edge-wait', 'Conversions look low')).case.number;
  await act(n, 'eta', { dueAt: msk('2026-11-26', '13:00').toISOString() });
  await act(n, 'needinfo', { question: 'Which campaign?' });
  const waiting = await getCase(n);
  expect(waiting).toMatchObject({ status: 'waiting_on_client', eta: null, sla: { state: 'paused' } });
  expect(waiting.timeline.map((e: { type: string }) => e.type)).toContain('clock_paused');
  t.clock.set(msk('2026-11-26', '14:00'));
  await t.tick();
  await t.drain();
  expect(t.notices.filter((x) => x.caseNumber === n && x.type === 'eta_missed')).toEqual([]);
});

test('the database refuses a second running response clock on one case, and the store reports it as a conflict', async () => {
  t.clock.set(msk('2026-11-27', '11:00'));
  await client('edge-race');
  const { case: kase } = await send('edge-race', 'First');
  const clock = (caseId: string) => ({
    id: randomUUID(), caseId, kind: 'response', urgency: 'medium', hours: 'business', targetMinutes: 60, startedAt: t.clock.now(),
    dueAt: new Date(t.clock.now().getTime() + 3600_000), state: 'running', stoppedAt: null, breachedAt: null, warnAt: [], warned: [],
    nextFireAt: null, etaId: null, milestoneId: null,
  });
  const cs = new ChangeSet();
  cs.insert('slaClocks', clock(kase.id));
  await expect(t.core.store.session((s) => s.commit(cs))).rejects.toBeInstanceOf(ConflictError);
});

test('a critical case covered off hours returns to the dedicated manager when their day begins', async () => {
  const { returnOffHoursCover } = await import('../../src/core/commands');
  const olga = (await t.admin('POST', '/api/v1/managers', { name: 'Olga Oncall', onCall: true, timeZone: 'Europe/Moscow' })).json.id;
  t.clock.set(msk('2026-11-30', '22:00'));
  await client('edge-night');
  const n = (await send('edge-night', 'Everything is down!')).case.number;
  expect(await getCase(n)).toMatchObject({ urgency: 'critical', managerId: olga, coveringForManagerId: maria });
  t.clock.set(msk('2026-12-01', '09:00'));
  expect(await returnOffHoursCover(t.core)).toBe(0); // Maria's day starts at 10:00
  t.clock.set(msk('2026-12-01', '10:01'));
  // Every instance runs the hand-back each minute, and Maria may say /back at the same moment: the case moves once.
  const [a, b, back] = await Promise.all([returnOffHoursCover(t.core), returnOffHoursCover(t.core), t.admin('POST', `/api/v1/managers/${maria}/back`)]);
  expect(a + b + back.json.casesMoved).toBe(1);
  expect(await getCase(n)).toMatchObject({ managerId: maria, coveringForManagerId: null });
  await t.drain();
  const told = t.callback.received.filter((r) => r.body.account.id === 'edge-night').map((r) => r.body.text);
  expect(told.filter((x) => x.includes('is back'))).toEqual([`Maria Petrova is back and takes case #${n} again.`]);
});

test('a remembered intake context is not acted on once the configuration moved', async () => {
  t.clock.set(msk('2026-12-02', '11:00'));
  await client('edge-cache');
  await send('edge-cache', 'First message opens the case');
  const env = (id: string) => ({
    channel: 'inapp' as const, account: 'edge-cache', deliveryId: id, deliveryScope: 'edge-cache', conversationKey: 'inapp:edge-cache', address: { accountId: 'edge-cache' },
    sender: { externalId: 'edge-cache-u', name: 'Cleo', isSelf: false, isAutomated: false }, platformMessageIds: [], text: 'x', attachments: [], receivedAt: t.clock.now(),
  });
  const delivery = (id: string) => {
    const cs = new ChangeSet();
    cs.insert('inboundDeliveries', { channel: 'inapp', scope: 'edge-cache', deliveryId: id, receivedAt: t.clock.now() });
    return cs;
  };
  // Read once: the context (an open case) is remembered.
  await t.core.store.session(async (s) => void (await s.readIntake(env('c-1'), t.clock.now())));
  // An admin change moves the configuration counter...
  expect((await t.admin('PATCH', `/api/v1/managers/${maria}`, { timeZone: 'Europe/Moscow' })).status).toBe(200);
  // ...so a write decided from the remembered context is refused, and the next read is fresh again.
  await expect(t.core.store.session(async (s) => { await s.readIntake(env('c-2'), t.clock.now()); await s.commit(delivery('c-2')); })).rejects.toBeInstanceOf(ConflictError);
  await expect(t.core.store.session(async (s) => { await s.readIntake(env('c-3'), t.clock.now()); await s.commit(delivery('c-3')); })).resolves.toBeUndefined();
});

test('a client command is kept in the transcript and a redelivered one is answered once', async () => {
  t.clock.set(msk('2026-12-03', '11:00'));
  await client('edge-cmd');
  const n = (await send('edge-cmd', 'Open question')).case.number;
  const status = inappMessage({ account: { id: 'edge-cmd' }, user: { id: 'edge-cmd-u', name: 'Cleo' }, text: '/status' });
  expect((await t.inapp(status)).json.status).toBe('command');
  expect((await t.inapp(status)).json.status).toBe('duplicate');
  await t.drain();
  const replies = t.callback.received.filter((r) => r.body.account.id === 'edge-cmd' && r.body.kind === 'status');
  expect(replies).toHaveLength(1);
  const kase = await getCase(n);
  expect(kase.messages.filter((m: { kind: string; text: string }) => m.kind === 'command').map((m: { text: string }) => m.text)).toEqual(['/status']);
});
