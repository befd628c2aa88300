// Issue 12, security: anyone on the Internet can send the support mailbox a mail, and its body goes through the
// reply-stripping patterns (email-reply-parser's, on V8's backtracking engine). Several of them are polynomial in a
// line's length or in the text's; before the fix a single mail of one long line held the process for hours (32 KB:
// 3.6 s, quadratic from there), and with it every webhook and the outbox on that instance. Each hostile shape below
// is a megabyte and must be read in well under a second or two, through stripReply and through the whole inbound path;
// ordinary replies must still lose their quoted history.
import { stripReply } from '../../adapters/email/strip';
import type { EmailInstance } from '../../adapters/email';
import { EMAIL_ENV_NOWHERE, rawMail } from '../../adapters/email/test-support';
import { startTestService, type TestService } from '../support/service';

const MB = 1024 * 1024;
const fill = (unit: string, prefix = '') => prefix + unit.repeat(Math.ceil((MB - prefix.length) / unit.length));
/** Each aims at one of the parser's patterns: a long single line, or many line starts of a pattern spanning lines. */
const HOSTILE: Record<string, string> = {
  '"On … wrote:" with no end, one line': fill('a ', 'On '),
  '"… on … at … wrote:" with no end, one line': fill('at ', 'x on '),
  'the Italian sign-off with no end, one line': fill('a ', 'In data '),
  '"… from … <…>:" digits, one line': `${fill('1234').slice(0, MB / 2)}from${'<'.repeat(MB / 2)}\n\n`,
  '"Op … schreef" line starts, no end': fill('Op x\n'),
  '"W dniu … pisze" line starts, no end': fill('W dniu x\n'),
  '"在 … 写道：" line starts, no end': fill('在x\n'),
  '"abc. … skrev" line starts, no end': fill('abc. x\n'),
  '"From: …" lines without an address': fill(`From: ${'a '.repeat(150)}\n`),
  'spaces': fill(' '),
  'quoted lines': fill('> > > a\n'),
};

describe('stripReply on a megabyte of hostile text', () => {
  test.each(Object.entries(HOSTILE))('%s: bounded in time, nothing of the text lost', (_name, body) => {
    const started = Date.now();
    const out = stripReply(body);
    const ms = Date.now() - started;
    expect({ ms: ms < 2000 }).toEqual({ ms: true });
    // Nothing here is a quoted reply: the text is kept (tidied: trailing spaces and runs of blank lines evened out).
    expect(out.length).toBeGreaterThanOrEqual(Math.floor(body.trim().length * 0.4));
  });
});

describe('stripReply still strips what it should', () => {
  test('a reply with a very long line keeps the line and loses the quoted history', () => {
    const long = `Here is the log: ${'GET /api/v1/export?id=42 500 '.repeat(100).trim()}`;
    const out = stripReply(`Still failing, see below.\n${long}\n\nOn Tue, 3 Mar 2026 at 14:05, Maria Petrova <maria@vendor.example> wrote:\n> Could you send the log?\n`);
    expect(out).toBe(`Still failing, see below.\n${long}`);
  });

  test('a long mail whose quoted history starts within its first part is stripped there', () => {
    const text = `${'Details of the failure.\n'.repeat(200)}\nOn Tue, 3 Mar 2026 at 14:05, Maria Petrova <maria@vendor.example> wrote:\n${'> old text\n'.repeat(5000)}`;
    expect(stripReply(text)).toBe('Details of the failure.\n'.repeat(200).trim());
  });

  test('a long mail with nothing to strip in its first part is kept whole', () => {
    const text = 'All of this is new text from the client.\n'.repeat(1000);
    expect(stripReply(text)).toBe(text.trim());
  });
});

describe('through the inbound path', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ env: EMAIL_ENV_NOWHERE });
    await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true });
  });
  afterAll(() => t?.close());

  test('a hostile mail is read and stored within seconds, like any other', async () => {
    const email = t.channelInstances.find((c) => c.name === 'email')!.instance as EmailInstance;
    const m = rawMail({ from: 'attacker@hostile.example', subject: 'hello', body: HOSTILE['"On … wrote:" with no end, one line'] });
    const started = Date.now();
    const r = await email.ingestRaw(Buffer.from(m.raw));
    expect({ kind: r.kind, fast: Date.now() - started < 5000 }).toEqual({ kind: 'ingested', fast: true });
  });
});
