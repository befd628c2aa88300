// A Slack alert is several posts — the case thread, a DM per manager, the lead channel. When one of them fails, the
// retry repeats only that one and what came after it: managers never see the same alert twice in the thread or in
// their DMs. Through the real service with the fake Slack Web API; time is the injected clock.
import { FakeSlack, type SlackCall } from '../support/fake-slack';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { msk } from '../support/clock';

let fake: FakeSlack;
let t: TestService;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await startTestService({ slack: { apiUrl: fake.url, leadChannel: 'CLEAD' } });
});
afterAll(async () => {
  await t?.close();
  await fake?.stop();
});

test('a breach alert whose second DM fails is retried from that DM on: the thread post and the first DM are not repeated', async () => {
  const mk = async (name: string, slackUserId: string) =>
    (await t.admin('POST', '/api/v1/managers', { name, slackUserId, timeZone: 'Europe/Moscow' })).json.id as string;
  const maria = await mk('Maria Petrova', 'UMARIA');
  const boris = await mk('Boris Ivanov', 'UBORIS');
  expect((await t.admin('POST', '/api/v1/clients', { name: 'Acme', tier: 'premium', managerId: maria, backupManagerId: boris, inappAccountId: 'acct-steps' })).status).toBe(201);
  t.clock.moveTo(msk('2026-11-23', '11:00'));
  const opened = await t.inapp(inappMessage({ account: { id: 'acct-steps', name: 'Acme' }, user: { id: 'u1', name: 'Ann' }, text: 'Conversions stopped at 10:40' }));
  expect(opened.status).toBe(200);
  const number = opened.json.case.number as number;
  await t.drain();

  // The breach: thread, DM to each of the two managers, lead channel. The third post (the second DM) fails.
  t.clock.moveTo(msk('2026-11-23', '12:01'));
  expect(await t.tick()).toBe(1);
  const start = fake.callsOf('chat.postMessage').length;
  fake.script('chat.postMessage',
    { body: { ok: true, ts: '1795000001.000100' } },
    { body: { ok: true, ts: '1795000001.000200' } },
    { status: 500, body: { ok: false, error: 'internal_error' } });
  expect((await t.drain()).retried).toBe(1);
  const first = fake.callsOf('chat.postMessage').slice(start);
  expect(first).toHaveLength(3);
  const failedDm = first[2].args.channel as string;
  expect(['UMARIA', 'UBORIS']).toContain(failedDm);

  t.clock.advance(2 * 60_000);
  expect((await t.drain()).sent).toBe(1);
  const breach = (c: SlackCall) => String(c.args.text).includes(`#${number} `) && /SLA breached/.test(String(c.args.text));
  const all = fake.callsOf('chat.postMessage').slice(start).filter(breach);
  const to = (channel: string) => all.filter((c) => c.args.channel === channel);
  const thread = all.filter((c) => c.args.thread_ts);
  expect(thread).toHaveLength(1);
  const otherDm = failedDm === 'UMARIA' ? 'UBORIS' : 'UMARIA';
  expect(to(otherDm)).toHaveLength(1);
  expect(to(failedDm)).toHaveLength(2); // the refused post and its retry
  expect(to('CLEAD')).toHaveLength(1);
  expect(all).toHaveLength(5);
});
