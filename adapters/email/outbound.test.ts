// What clients get by mail, through the outbox into an SMTP sink: a manager's reply threaded under the client's
// mail, an SMTP server that defers (retried, delivered once) or refuses (the manager is told), and the cap on
// automatic mail that ends a loop our header rules missed.
import { dovecotSkipReason } from '../../test/support/dovecot';
import { bare, rawMail, startEmailTest, SUPPORT, type EmailTest } from './test-support';

const skip = dovecotSkipReason();
const suite = skip ? describe.skip : describe;
const STEP_MS = 15_000;

suite(`email outbound over SMTP${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let e: EmailTest;
  beforeAll(async () => {
    e = await startEmailTest();
    await e.client('Acme Ltd', ['acme.example']);
  }, 60_000);
  afterAll(async () => {
    await e?.stop();
  });

  /** A new thread from `from`; its case number once ingested. */
  async function opens(from: string, subject: string, body = 'Please have a look.') {
    const m = rawMail({ from, name: 'Ivan Petrov', subject, body });
    await e.deliver(m.raw);
    const [item] = await e.pass();
    if (item?.result.kind !== 'ingested' || item.result.outcome.status !== 'stored') throw new Error(JSON.stringify(item));
    return { number: item.result.outcome.caseNumber, messageId: m.messageId };
  }

  test("a manager's reply goes out under the manager's name, threaded under the client's mail, as text and HTML", async () => {
    const c = await opens('ivan.petrov@acme.example', 'Reports are slow');
    await e.t.drain();
    const reply = await e.t.admin('POST', `/api/v1/cases/${c.number}/reply`, {
      text: 'We found the slow query & fixed it.\nDetails: https://status.example.test/incidents/42',
      managerId: e.managerId, attachments: [{ name: 'query-plan.txt', url: 'https://files.example.test/plan.txt' }],
    });
    expect(reply.status).toBe(200);
    await e.t.drain();
    const [ack, mail] = e.mailsTo('ivan.petrov@acme.example').filter((m) => m.parsed.subject?.includes(`[#${c.number}]`));
    const p = mail.parsed;
    expect(p.from?.value[0]).toEqual({ name: 'Maria Petrova (Switchboard Support)', address: SUPPORT });
    expect(p.subject).toBe(`Re: [#${c.number}] Reports are slow`);
    expect(p.headers.get('auto-submitted')).toBeUndefined();
    expect(p.inReplyTo).toBe(`<${c.messageId}>`);
    expect(p.messageId).not.toBe(ack.parsed.messageId);
    expect(p.text).toBe(
      'We found the slow query & fixed it.\nDetails: https://status.example.test/incidents/42\nquery-plan.txt: https://files.example.test/plan.txt\n\n-- \nMaria Petrova\nSwitchboard Support',
    );
    expect(p.html).toContain('We found the slow query &amp; fixed it.<br>');
    expect(p.html).toContain('<a href="https://status.example.test/incidents/42">');

    // The client answers that mail: its Message-ID threads the answer onto the case.
    await e.deliver(rawMail({ from: 'ivan.petrov@acme.example', subject: `Re: ${p.subject}`, body: 'Confirmed, thanks!', inReplyTo: bare(p.messageId) }).raw);
    const [answer] = await e.pass();
    expect(answer.result).toMatchObject({ kind: 'ingested', via: 'references', outcome: { status: 'stored', caseNumber: c.number } });
  }, STEP_MS);

  test('SMTP deferring with 4xx, then accepting: the acknowledgement is retried and delivered once', async () => {
    e.sink.refuseNext(1, 451);
    const c = await opens('anna@acme.example', 'Export is empty');
    expect(await e.t.drain()).toMatchObject({ retried: 1 });
    expect(e.mailsTo('anna@acme.example')).toHaveLength(0);
    e.t.clock.advance(60_000);
    expect((await e.t.drain()).sent).toBeGreaterThanOrEqual(1);
    e.t.clock.advance(10 * 60_000);
    await e.t.drain();
    const acks = e.mailsTo('anna@acme.example');
    expect(acks.map((m) => m.parsed.subject)).toEqual([`Re: [#${c.number}] Export is empty`]);
    expect(e.sink.refused.filter((r) => r.to.includes('anna@acme.example')).map((r) => r.code)).toEqual([451]);
  }, STEP_MS);

  test('SMTP refusing with 5xx: the delivery fails at once and the manager is told on the case', async () => {
    e.sink.refuseNext(1, 550, { message: '5.1.1 <boris@acme.example>: Recipient address rejected' });
    const c = await opens('boris@acme.example', 'Where is my invoice?');
    expect(await e.t.drain()).toMatchObject({ failed: 1 });
    const notice = e.t.notices.find((n) => n.type === 'delivery_failed' && n.caseNumber === c.number);
    expect(notice?.text).toContain('550');
    // The manager learns which domain refused, not the client's full address.
    expect(notice?.text).toContain('…@acme.example');
    expect(notice?.text).not.toContain('boris@');
    const timeline = (await e.caseView(c.number)).timeline.map((x: { type: string }) => x.type);
    expect(timeline).toContain('delivery_failed');
    expect(e.mailsTo('boris@acme.example')).toHaveLength(0);
  }, STEP_MS);

  test('an auto-responder our rules miss, opening a new thread each time, gets at most 5 automatic mails an hour', async () => {
    const bot = 'robot@looping.example';
    const numbers: number[] = [];
    for (let i = 0; i < 7; i++) numbers.push((await opens(bot, `Ticket received (${i})`)).number);
    await e.t.drain();
    expect(e.mailsTo(bot)).toHaveLength(5);
    const held = e.t.notices.filter((n) => n.type === 'delivery_failed' && numbers.includes(n.caseNumber!));
    expect(held).toHaveLength(2);
    expect(held[0].text).toContain('mail loop protection');

    // A manager's own words are never held back, even with the hour's automatic mails used up.
    await e.t.admin('POST', `/api/v1/cases/${numbers[0]}/reply`, { text: 'Is anyone there?', managerId: e.managerId });
    await e.t.drain();
    expect(e.mailsTo(bot)).toHaveLength(6);
    // An hour on, the count has room again.
    e.t.clock.advance(61 * 60_000);
    await opens(bot, 'Ticket received (8)');
    await e.t.drain();
    expect(e.mailsTo(bot)).toHaveLength(7);
  }, STEP_MS);
});
