// Raw mails → envelopes, without a mail server or a database: the text triage reads, loop signals, the thread order,
// link keys, urgency tags and commands. Runs everywhere (no Dovecot needed).
import type { InboundEnvelope } from '../../src/core/ports';
import { loadFixture, type FixtureName, type FixtureVars } from './fixtures';
import { linkKeysOf, plusCaseNumber } from './address';
import { LinkSigner } from './files';
import { automationOf } from './loops';
import { baseSubject, toEnvelope, urgencyTag } from './normalize';
import { parseMail } from './parse';
import { stripReply } from './strip';
import { findThread } from './thread';

const SCOPE = 'support@example.test';
const ours = new Set([SCOPE]);
const links = new LinkSigner(Buffer.alloc(32, 1), 'https://sb.test');

type Known = { ids?: Record<string, string>; cases?: Record<number, string> };
const lookup = (known: Known) => async (ref: { platformIds?: { scope: string; externalId: string }[]; caseNumber?: number }) => {
  for (const p of ref.platformIds ?? []) if (p.scope === SCOPE && known.ids?.[p.externalId]) return { conversationKey: known.ids[p.externalId], address: null, caseNumber: 1, clientId: null };
  const key = ref.caseNumber !== undefined ? known.cases?.[ref.caseNumber] : undefined;
  return key ? { conversationKey: key, address: null, caseNumber: ref.caseNumber!, clientId: null } : null;
};

async function envelopeOf(raw: string, known: Known = {}): Promise<InboundEnvelope & { via: string }> {
  const p = await parseMail(Buffer.from(raw));
  const thread = await findThread(p, SCOPE, ours, lookup(known));
  const env = toEnvelope(p, thread, automationOf(p, ours), { messageId: p.messageId, mailbox: 'INBOX' }, {
    scope: SCOPE, ours, attachmentLimitBytes: 1024 * 1024, maxMessageBytes: 25 * 1024 * 1024, links, now: new Date('2026-03-03T12:00:00Z'),
  });
  return { ...env, via: thread.via };
}
const fixture = (name: FixtureName, vars: FixtureVars = {}) => loadFixture(name, { TO: SCOPE, ...vars }).raw;

describe('the text core triages and the manager reads', () => {
  test.each([
    ['gmail-reply', 'Still broken on our side — the dashboard shows zero conversions since 09:40.\nCan you check again?\n\nIvan'],
    ['apple-mail-reply', 'Confirmed — events are arriving again since 14:20.\n\nAnna'],
    ['outlook-reply', 'Добрый день!\n\nПроблема повторилась сегодня в 9:40, конверсии снова не передаются.\nПриложить логи?'],
    ['outlook-ru-reply', 'Добрый день!\n\nПосле обновления снова пропали конверсии за сегодня.\nПосмотрите, пожалуйста.'],
  ] as const)('%s: quoted history and signature stripped', async (name, text) => {
    expect(stripReply((await parseMail(Buffer.from(fixture(name)))).text)).toBe(text);
  });

  test('Russian reply headers the parser misses are cut: "От: … Отправлено: …" and "… написал(а):"', () => {
    expect(stripReply('Спасибо, работает.\n\nОт: Support <s@x.test>\nОтправлено: 3 марта 2026 г. 14:05\nТема: Re: x\n\nСтарый текст')).toBe('Спасибо, работает.');
    expect(stripReply('Да, всё так.\n\n3 марта 2026 г., в 14:05, Мария <s@x.test> написал(а):\n> Старый текст')).toBe('Да, всё так.');
    expect(stripReply('Да.\n\n03.03.2026, 14:05, "Maria" <s@x.test>:\n> Старый текст')).toBe('Да.');
  });

  test('a mail that is nothing but a quote keeps its text: a client\'s words are never dropped', () => {
    expect(stripReply('> quoted only\n> still quoted')).toBe('> quoted only\n> still quoted');
  });

  test('a new thread is headed by its subject; a reply is not', async () => {
    const fresh = await envelopeOf(fixture('thunderbird-attachment'));
    expect(fresh.text.split('\n')[0]).toBe('Export to PDF fails — example attached');
    const reply = await envelopeOf(fixture('gmail-reply', { IN_REPLY_TO: 'ours.1@example.test' }), { ids: { 'ours.1@example.test': 'email:k1' } });
    expect(reply.text.startsWith('Still broken')).toBe(true);
  });
});

describe('threading', () => {
  test('In-Reply-To and References come first, then the subject token, then a plus-address; else a thread of its own', async () => {
    const byRef = await envelopeOf(fixture('gmail-reply', { IN_REPLY_TO: 'ours.1@example.test', SUBJECT_TOKEN: '[#7]' }), { ids: { 'ours.1@example.test': 'email:by-ref' }, cases: { 7: 'email:by-token' } });
    expect([byRef.via, byRef.conversationKey]).toEqual(['references', 'email:by-ref']);
    const byToken = await envelopeOf(fixture('outlook-reply', { SUBJECT_TOKEN: '[#7]' }), { cases: { 7: 'email:by-token' } });
    expect([byToken.via, byToken.conversationKey]).toEqual(['subject', 'email:by-token']);
    const byPlus = await envelopeOf(fixture('latin1-new', { TO: 'support+7@example.test' }), { cases: { 7: 'email:by-plus' } });
    expect([byPlus.via, byPlus.conversationKey]).toEqual(['plus-address', 'email:by-plus']);
    const fresh = loadFixture('latin1-new', { TO: SCOPE });
    const own = await envelopeOf(fresh.raw);
    expect([own.via, own.conversationKey]).toEqual(['new', `email:${SCOPE}:${fresh.messageId}`]);
  });

  test("a bounce finds the thread of the mail it returns, by the Message-ID inside the report", async () => {
    const env = await envelopeOf(fixture('bounce', { IN_REPLY_TO: 'ours.9@example.test' }), { ids: { 'ours.9@example.test': 'email:bounced' } });
    expect([env.via, env.conversationKey, env.sender.isAutomated]).toEqual(['references', 'email:bounced', true]);
  });

  test('a plus-address counts only on one of our addresses', () => {
    expect(plusCaseNumber('support+1042@example.test', ours)).toBe(1042);
    expect(plusCaseNumber('ivan+1042@acme.example', ours)).toBeNull();
  });
});

describe('loop signals', () => {
  test.each([
    ['auto-reply', 'Auto-Submitted: auto-replied'],
    ['bounce', 'Auto-Submitted: auto-replied'],
    ['mailing-list', 'Precedence: list'],
    ['gmail-reply', null],
  ] as const)('%s → %s', async (name, reason) => {
    expect(automationOf(await parseMail(Buffer.from(fixture(name))), ours)).toMatchObject({ automated: reason !== null, reason, self: false });
  });

  const headers = (h: string) => `From: a@b.example\r\nTo: ${SCOPE}\r\nSubject: x\r\nMessage-ID: <x@b.example>\r\n${h}\r\n\r\nhello\r\n`;
  test.each([
    ['Auto-Submitted: no', null],
    ['Precedence: junk', 'Precedence: junk'],
    ['List-Unsubscribe: <mailto:x@lists.example>', 'a mailing list (List-Id / List-Unsubscribe)'],
    ['X-Auto-Response-Suppress: All', 'X-Auto-Response-Suppress'],
    ['Return-Path: <>', 'an empty Return-Path'],
    ['Content-Type: multipart/report; report-type=disposition-notification; boundary=z', 'a delivery or read report (multipart/report)'],
  ])('%s → %s', async (h, reason) => {
    expect(automationOf(await parseMail(Buffer.from(headers(h))), ours).reason).toBe(reason);
  });

  test('our own address coming back is our echo', async () => {
    const p = await parseMail(Buffer.from(`From: Support <${SCOPE}>\r\nTo: ${SCOPE}\r\nSubject: x\r\nMessage-ID: <e@x>\r\n\r\nhi\r\n`));
    expect(automationOf(p, ours)).toEqual({ self: true, automated: true, reason: 'our own address' });
  });
});

describe('the envelope', () => {
  test('sender, link keys (address, then domains), urgency from a subject tag, commands on the first line', async () => {
    const env = await envelopeOf(fixture('bounce'));
    expect(env.linkKeys).toEqual(['mailer-daemon@mx1.acme.example', 'mx1.acme.example', 'acme.example']);
    expect(linkKeysOf('a@b.co.uk')).toEqual(['a@b.co.uk', 'b.co.uk', 'co.uk']);
    expect(urgencyTag('Re: [#12] [Critical] down')).toBe('critical');
    expect(urgencyTag('[info] FYI')).toBe('informational');
    expect(baseSubject('RE: Fwd: [#12] [high] Tracking is down')).toBe('Tracking is down');

    const cmd = await envelopeOf(`From: Ivan <ivan@acme.example>\r\nTo: ${SCOPE}\r\nSubject: Re: [#3] x\r\nMessage-ID: <c@acme.example>\r\n\r\n/urgency high\r\n\r\nThanks,\r\nIvan\r\n`);
    expect([cmd.text, cmd.urgency]).toEqual(['/urgency high', undefined]);
    const feature = await envelopeOf(`From: Ivan <ivan@acme.example>\r\nTo: ${SCOPE}\r\nSubject: idea\r\nMessage-ID: <f@acme.example>\r\n\r\n/feature Export to XLSX\r\nwith totals per day\r\n`);
    expect(feature.text).toBe('/feature Export to XLSX\nwith totals per day');
  });

  test('replies go to Reply-To when the client set one, never to one of our own addresses', async () => {
    const mail = (replyTo: string) => `From: Form <forms@acme.example>\r\nReply-To: ${replyTo}\r\nTo: ${SCOPE}\r\nSubject: x\r\nMessage-ID: <r${replyTo.length}@acme.example>\r\n\r\nhi\r\n`;
    expect(((await envelopeOf(mail('Ivan <ivan@acme.example>'))).address as { to: string }).to).toBe('ivan@acme.example');
    expect(((await envelopeOf(mail('support+12@example.test'))).address as { to: string }).to).toBe('forms@acme.example');
  });

  test('a mail without a Message-ID is known by a hash of its content, the same on every read', async () => {
    const raw = `From: a@b.example\r\nTo: ${SCOPE}\r\nSubject: no id\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\nhello\r\n`;
    const [one, two] = [await envelopeOf(raw), await envelopeOf(`Received: from mx2\r\n${raw}`)];
    expect(one.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(two.deliveryId).toBe(one.deliveryId);
  });

  test('an attachment over the limit is named in the text instead of linked', async () => {
    const p = await parseMail(Buffer.from(fixture('thunderbird-attachment')));
    const thread = await findThread(p, SCOPE, ours, lookup({}));
    const env = toEnvelope(p, thread, automationOf(p, ours), { messageId: p.messageId, mailbox: 'INBOX' }, {
      scope: SCOPE, ours, attachmentLimitBytes: 100, maxMessageBytes: 1024, links, now: new Date(),
    });
    expect(env.attachments.map((a) => a.name)).toEqual(['full-message.txt']);
    expect(env.text).toContain('[Not imported: export-2026-03-04.pdf (0 MB), over the 0 MB attachment limit. It stays in the mailbox.]');
  });
});
