// Which Slack events in a linked shared channel are a client's, which are staff answering, which are nothing: decided
// from the payloads as Slack sends them (fixtures/), with the vendor's workspace T1 and our bot UBOT / BBOT.
import { conversationKey } from './address';
import { botMessage, envelope, messageChanged, messageDeleted, ourPost, personMessage, type Person } from './fixtures';
import { classify, urgencyTag, type Context, type EventBody } from './normalize';

const me = { teamId: 'T1', botUserId: 'UBOT', botId: 'BBOT' };
const now = new Date('2026-11-23T08:00:00Z');
const ctx: Context = { me, now, name: 'Ann Client', attachments: [] };
const ann: Person = { id: 'U0ANN', team: 'T0ACME', name: 'Ann Client' };
const maria: Person = { id: 'UMARIA', team: 'T1', name: 'Maria Petrova' };
const C = 'C0SHARED';
const body = (event: object, eventId = 'Ev0001') => envelope(event as Record<string, unknown>, { eventId, at: now }) as unknown as EventBody;

test("a top-level post of the client's organisation starts a conversation keyed by the post", () => {
  const e = personMessage(ann, { channel: C, text: 'The <https://app.test/x|report> is empty #high', external: true });
  const c = classify(body(e), ctx);
  expect(c).toEqual({
    kind: 'client',
    envelope: {
      channel: 'slack', account: 'T0ACME', deliveryId: 'Ev0001', deliveryScope: 'T1',
      conversationKey: `slack:T1:${C}:${e.ts}`, address: { channel: C, thread_ts: e.ts },
      sender: { externalId: 'U0ANN', name: 'Ann Client', isSelf: false, isAutomated: false },
      linkKeys: [C], platformMessageIds: [{ scope: C, externalId: e.ts }],
      text: 'The report (https://app.test/x) is empty #high', attachments: [], urgency: 'high', receivedAt: now,
    },
  });
});

test('a reply continues the conversation of its thread root', () => {
  const c = classify(body(personMessage(ann, { channel: C, text: 'more', threadTs: '1797000000.000100', external: true })), ctx);
  expect(c.kind === 'client' && c.envelope.conversationKey).toBe(conversationKey('T1', C, '1797000000.000100'));
  expect(c.kind === 'client' && c.envelope.address).toEqual({ channel: C, thread_ts: '1797000000.000100' });
});

test("the vendor's people: a thread reply is staff answering, a top-level post is nobody's case", () => {
  const reply = personMessage(maria, { channel: C, text: 'On it', threadTs: '1797000000.000100', external: false });
  expect(classify(body(reply), ctx)).toEqual({ kind: 'staff', user: 'UMARIA', channel: C, ts: reply.ts, rootTs: '1797000000.000100', conversationKey: conversationKey('T1', C, '1797000000.000100'), text: 'On it' });
  expect(classify(body(personMessage(maria, { channel: C, text: 'Announcement', external: false })), ctx).kind).toBe('ignore');
});

test('user_team decides, not the team the message was posted from', () => {
  // A vendor's person posting from a workspace of the client's org would still be staff, and the other way round.
  const e = { ...personMessage(ann, { channel: C, text: 'hi', external: true }), team: 'T1', source_team: 'T1' };
  expect(classify(body(e), ctx).kind).toBe('client');
});

test('our own post is an echo; another app of the client is automated; another app of the vendor is ignored', () => {
  const ours = classify(body(ourPost({ channel: C, ts: '1790000000.000100', text: 'We received your request', threadTs: '1797000000.000100' })), ctx);
  expect(ours.kind === 'client' && ours.envelope.sender).toMatchObject({ isSelf: true, isAutomated: false });
  const theirs = classify(body({ ...botMessage({ channel: C, text: 'CI green', botId: 'B0CI', username: 'Acme CI' }), team: 'T0ACME' }), ctx);
  expect(theirs.kind === 'client' && theirs.envelope.sender).toMatchObject({ externalId: 'B0CI', name: 'Acme CI', isSelf: false, isAutomated: true });
  expect(classify(body({ ...botMessage({ channel: C, text: 'deploy', botId: 'B0VENDOR', username: 'Deploys' }), team: 'T1' }), ctx).kind).toBe('ignore');
});

test("edits and deletions of a client's message become changes; staff's and bots' don't", () => {
  const edit = classify(body(messageChanged(ann, { channel: C, ts: '1797000000.000100', text: 'new words', before: 'old words' })), ctx);
  expect(edit.kind === 'client' && edit.envelope).toMatchObject({ change: { kind: 'edit', target: { scope: C, externalId: '1797000000.000100' } }, text: 'new words', platformMessageIds: [] });
  const del = classify(body(messageDeleted(ann, { channel: C, ts: '1797000000.000200', text: 'oops', threadTs: '1797000000.000100' })), ctx);
  expect(del.kind === 'client' && del.envelope).toMatchObject({ change: { kind: 'delete', target: { scope: C, externalId: '1797000000.000200' } }, conversationKey: conversationKey('T1', C, '1797000000.000100') });
  expect(classify(body(messageChanged(maria, { channel: C, ts: '1797000000.000300', text: 'x', before: 'y' })), ctx).kind).toBe('ignore');
  const tombstone = {
    type: 'message', subtype: 'message_changed', hidden: true, channel: C, ts: '1797000001.000100',
    message: { type: 'message', subtype: 'tombstone', text: 'This message was deleted.', user: 'USLACKBOT', hidden: true, thread_ts: '1797000000.000100', ts: '1797000000.000100' },
    previous_message: { type: 'message', user: 'U0ANN', team: 'T0ACME', text: 'root', ts: '1797000000.000100', thread_ts: '1797000000.000100' },
  };
  const gone = classify(body(tombstone), ctx);
  expect(gone.kind === 'client' && gone.envelope.change).toEqual({ kind: 'delete', target: { scope: C, externalId: '1797000000.000100' } });
});

test("housekeeping subtypes and empty posts aren't messages", () => {
  expect(classify(body({ type: 'message', subtype: 'channel_join', user: 'U0ANN', text: '<@U0ANN> has joined the channel', channel: C, ts: '1797000000.000900' }), ctx).kind).toBe('ignore');
  expect(classify(body(personMessage(ann, { channel: C, text: '   ', external: true })), ctx).kind).toBe('ignore');
});

test('an urgency is a hashtag word, not a channel or part of a word', () => {
  expect(urgencyTag('site down #critical')).toBe('critical');
  expect(urgencyTag('#Low: when you can')).toBe('low');
  expect(urgencyTag('see #highlights')).toBeUndefined();
  expect(urgencyTag('issue#high')).toBeUndefined();
  expect(urgencyTag('#urgent please')).toBeUndefined();
});
