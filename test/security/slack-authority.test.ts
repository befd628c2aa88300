// Issue 12, security: Slack commands act only for managers of that client. slack-console.test.ts shows a stranger's
// /urgency and another manager's /resolve refused; here every way a Slack user can act on a case — each case command,
// the card's buttons, the modals' submissions, the message shortcut, a reply in the case thread — is tried by a
// registered manager who does not look after the client (Boris), by someone who is no manager at all, and by the
// client's own manager aiming, from another client's channel, at this client's case number. Each is refused with
// the reason, and nothing about the case changes: status, urgency, ETA, timeline, what the client was sent. Then the
// client's manager does the same and it works, so the refusals are the permission check and not a broken request.
import { FakeSlack } from '../support/fake-slack';
import { inappMessage, SLACK_SIGNING_SECRET, startTestService, type TestService } from '../support/service';
import { interactionBody, slackHeaders, slashCommand } from '../support/slack-signing';

const MARIA = 'UAUTHMARIA';
const BORIS = 'UAUTHBORIS';
const NOBODY = 'UAUTHNOBODY';
const NOT_YOURS = 'Only the managers of this client (or the on-call manager) can act on this case.';

let fake: FakeSlack;
let t: TestService;
let maria: string;
let target: { id: string; number: number; channel: string; threadTs: string };
let elsewhere: string;

async function post(kind: 'commands' | 'interactions' | 'events', raw: string) {
  const res = await t.app.inject({
    method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
    headers: { 'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded', ...slackHeaders(SLACK_SIGNING_SECRET, raw, t.clock.now()) },
  });
  expect(res.statusCode).toBe(200);
  return res.body ? JSON.parse(res.body) : undefined;
}

async function waitFor<T>(what: string, fn: () => T | undefined) {
  for (let i = 0; i < 300; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a person reads after an action: the command's acknowledgement, or the answer on the response_url. */
async function slash(user: string, command: string, text: string, channel: string): Promise<string> {
  const id = `auth-${Math.random().toString(36).slice(2)}`;
  const ack = await post('commands', slashCommand({ command, text, user_id: user, channel_id: channel, response_url: fake.responseUrl(id) }));
  if (!/^Working on it/.test(ack.text)) return ack.text;
  return (await waitFor('the command answer', () => fake.responses.find((r) => r.id === id))).body.text;
}

async function press(user: string, action: Record<string, unknown>): Promise<string> {
  const id = `auth-${Math.random().toString(36).slice(2)}`;
  await post('interactions', interactionBody({
    type: 'block_actions', team: { id: 'T1', domain: 'vendor' }, user: { id: user, username: 'someone', team_id: 'T1' }, api_app_id: 'A1', token: 'x',
    container: { type: 'message', message_ts: target.threadTs, channel_id: target.channel, is_ephemeral: false }, trigger_id: `1.2.${id}`,
    channel: { id: target.channel, name: 'privategroup' }, message: { type: 'message', ts: target.threadTs, text: 'card' }, response_url: fake.responseUrl(id),
    actions: [{ block_id: `case:${target.id}`, action_ts: '2000000000.000001', ...action }],
  }));
  return (await waitFor('the answer to the press', () => fake.responses.find((r) => r.id === id))).body.text;
}

async function submit(user: string, kind: 'eta' | 'needinfo' | 'escalate' | 'urgency', values: Record<string, unknown>): Promise<string | null> {
  const answer = await post('interactions', interactionBody({
    type: 'view_submission', team: { id: 'T1', domain: 'vendor' }, user: { id: user, username: 'someone', team_id: 'T1' }, api_app_id: 'A1', token: 'x',
    trigger_id: '2000000000.2000000001.submit',
    view: { id: 'V-auth', team_id: 'T1', type: 'modal', callback_id: `modal_${kind}`, private_metadata: target.id, hash: 'h', blocks: [], state: { values } },
  }));
  return answer?.response_action === 'errors' ? (Object.values(answer.errors)[0] as string) : null;
}

async function shortcut(user: string, kind: string): Promise<string> {
  const id = `auth-${Math.random().toString(36).slice(2)}`;
  await post('interactions', interactionBody({
    type: 'message_action', callback_id: `case_${kind}`, trigger_id: `3.4.${id}`, team: { id: 'T1', domain: 'vendor' }, user: { id: user, name: 'someone', team_id: 'T1' },
    channel: { id: target.channel, name: 'privategroup' }, message: { type: 'message', ts: target.threadTs, text: 'card' }, response_url: fake.responseUrl(id), token: 'x', action_ts: '1',
  }));
  return (await waitFor('the answer to the shortcut', () => fake.responses.find((r) => r.id === id))).body.text;
}

/** What a manager or the client would notice about the case. */
async function state() {
  const k = (await t.admin('GET', `/api/v1/cases/${target.number}`)).json;
  return { status: k.status, urgency: k.urgency, eta: k.eta, timeline: k.timeline.length, messages: k.messages.length, sentToClient: t.callback.received.filter((r) => r.body.account?.id === 'acct-auth-a').length };
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await startTestService({ slack: { apiUrl: fake.url, leadChannel: 'CLEAD' } });
  const mk = async (name: string, slackUserId: string) => (await t.admin('POST', '/api/v1/managers', { name, slackUserId, timeZone: 'Europe/Moscow' })).json.id as string;
  maria = await mk('Maria Petrova', MARIA);
  const boris = await mk('Boris Ivanov', BORIS);
  // Client A is Maria's; client B is Boris's. Neither manager is on call or the default manager.
  await t.admin('POST', '/api/v1/clients', { name: 'Auth Client A', tier: 'premium', managerId: maria, inappAccountId: 'acct-auth-a' });
  const b = (await t.admin('POST', '/api/v1/clients', { name: 'Auth Client B', tier: 'premium', managerId: boris, inappAccountId: 'acct-auth-b' })).json;
  const opened = await t.inapp(inappMessage({ account: { id: 'acct-auth-a', name: 'Auth Client A' }, user: { id: 'ua', name: 'Ann' }, text: 'Where do I find the API keys?' }));
  await t.inapp(inappMessage({ account: { id: 'acct-auth-b', name: 'Auth Client B' }, user: { id: 'ub', name: 'Bob' }, text: 'Hello from B' }));
  await t.drain();
  const kase = (await t.admin('GET', `/api/v1/cases/${opened.json.case.number}`)).json;
  const channel = (await t.admin('GET', `/api/v1/clients/${kase.clientId}`)).json.slackChannelId as string;
  elsewhere = (await t.admin('GET', `/api/v1/clients/${b.id}`)).json.slackChannelId as string;
  const card = fake.callsOf('chat.postMessage').find((c) => c.args.channel === channel && c.result && !c.args.thread_ts)!;
  target = { id: kase.id, number: kase.number, channel, threadTs: card.result!.ts };
  expect(channel).not.toBe(elsewhere);
});
afterAll(async () => {
  await t?.close();
  await fake?.stop();
});

test("another client's manager is refused every case command, button, modal, shortcut and thread reply; nothing changes", async () => {
  const before = await state();
  const n = target.number;
  const answers: Record<string, string | null> = {
    '/urgency': await slash(BORIS, '/urgency', `critical #${n}`, target.channel),
    '/eta': await slash(BORIS, '/eta', `2h #${n}`, target.channel),
    '/needinfo': await slash(BORIS, '/needinfo', `#${n} which browser?`, target.channel),
    '/resolve': await slash(BORIS, '/resolve', `#${n} closing`, target.channel),
    '/escalate': await slash(BORIS, '/escalate', `#${n} because`, target.channel),
    '/resolve (the channel\'s case, no number)': await slash(BORIS, '/resolve', '', target.channel),
    'urgency menu on the card': await press(BORIS, { type: 'static_select', action_id: 'set_urgency', selected_option: { value: `${target.id}:critical` } }),
    'Resolve button on the card': await press(BORIS, { type: 'button', action_id: 'resolve', value: target.id }),
    'ETA modal submitted': await submit(BORIS, 'eta', { when: { value: { type: 'plain_text_input', value: '2h' } }, note: { value: { type: 'plain_text_input', value: null } } }),
    'details modal submitted': await submit(BORIS, 'needinfo', { question: { value: { type: 'plain_text_input', value: 'which browser?' } } }),
    'escalation modal submitted': await submit(BORIS, 'escalate', { reason: { value: { type: 'plain_text_input', value: 'because' } } }),
    'urgency modal submitted': await submit(BORIS, 'urgency', { urgency: { value: { type: 'static_select', selected_option: { value: 'critical' } } } }),
    'Resolve shortcut on the thread': await shortcut(BORIS, 'resolve'),
  };
  expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, NOT_YOURS])));

  // A reply in the case thread is not relayed to the client; Boris is told so, in the thread, only to him.
  const ephemerals = fake.callsOf('chat.postEphemeral').length;
  await post('events', JSON.stringify({
    token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: 'EvAuthBoris', event_time: Math.floor(t.clock.now().getTime() / 1000),
    event: { type: 'message', channel: target.channel, channel_type: 'group', user: BORIS, text: 'Boris answering a case that is not his', ts: '1795000001.000100', thread_ts: target.threadTs },
  }));
  const told = fake.callsOf('chat.postEphemeral').slice(ephemerals);
  expect(told.map((c) => [c.args.user, c.args.text])).toEqual([[BORIS, expect.stringContaining('Only the managers of this client can answer')]]);

  await t.drain();
  expect(await state()).toEqual(before);
});

test('someone who is not a manager is told so; the client\'s own manager cannot aim at the case from another client\'s channel', async () => {
  const before = await state();
  const n = target.number;
  for (const [command, text] of [['/urgency', `critical #${n}`], ['/eta', `2h #${n}`], ['/needinfo', `#${n} q`], ['/resolve', `#${n}`], ['/escalate', `#${n} r`], ['/cases', '']])
    expect({ command, answer: await slash(NOBODY, command, text, target.channel) }).toEqual({ command, answer: expect.stringContaining('not set up as a Switchboard manager') });
  // Maria looks after client A, but in client B's channel "#N" must be one of B's cases: a typo can't hit A's.
  for (const [command, text] of [['/urgency', `critical #${n}`], ['/resolve', `#${n} done`], ['/needinfo', `#${n} q`]])
    expect({ command, answer: await slash(MARIA, command, text, elsewhere) }).toEqual({ command, answer: `Case #${n} is not a case of this channel's client.` });
  await t.drain();
  expect(await state()).toEqual(before);
});

test("the client's own manager doing the same is obeyed (the refusals above were the permission check)", async () => {
  const before = await state();
  expect(await slash(MARIA, '/urgency', `critical #${target.number}`, target.channel)).toContain('critical');
  expect(await submit(MARIA, 'needinfo', { question: { value: { type: 'plain_text_input', value: 'Which browser?' } } })).toBeNull();
  await t.drain();
  const after = await state();
  expect({ urgency: after.urgency, status: after.status }).toEqual({ urgency: 'critical', status: 'waiting_on_client' });
  expect(after.sentToClient).toBeGreaterThan(before.sentToClient);
});
