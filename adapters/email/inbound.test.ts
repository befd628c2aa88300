// Mail into a real Dovecot, read by the receiver over IMAP, through core, and what the client and the manager then
// see: cases opened and continued (by headers, by the subject token, by a plus-address), the text stripped of quotes
// and signatures in any charset, attachments as links, commands, and automated mail kept quiet.
import { loadFixture } from './fixtures';
import { dovecotSkipReason } from '../../test/support/dovecot';
import { bare, rawMail, startEmailTest, SUPPORT, withImap, type EmailTest } from './test-support';

const skip = dovecotSkipReason();
const suite = skip ? describe.skip : describe;
const STEP_MS = 15_000;

suite(`email inbound over IMAP${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let e: EmailTest;
  beforeAll(async () => {
    e = await startEmailTest();
  }, 60_000);
  afterAll(async () => {
    await e?.stop();
  });

  const ingested = (items: Awaited<ReturnType<EmailTest['pass']>>) =>
    items.map((i) => (i.result.kind === 'ingested' ? i.result.outcome : i.result));
  const stored = async (raw: string) => {
    await e.deliver(raw);
    const [item] = await e.pass();
    if (item?.result.kind !== 'ingested' || item.result.outcome.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(item)}`);
    return item.result.outcome;
  };

  let acme: { ack: string; first: string; number: number };

  test('a new mail opens a case and gets an acknowledgement', async () => {
    await e.client('Acme Ltd', ['acme.example']);
    const m = rawMail({ from: 'ivan.petrov@acme.example', name: 'Ivan Petrov', subject: 'Tracking is down, all conversions lost', body: 'Since 09:40 no conversions arrive.\n\n-- \nIvan Petrov\nAcme Ltd' });
    await e.deliver(m.raw);
    const [item] = await e.pass();
    expect(item.result).toMatchObject({ kind: 'ingested', via: 'new', outcome: { status: 'stored', opened: true } });
    const number = (item.result as { outcome: { caseNumber: number } }).outcome.caseNumber;

    const kase = await e.caseView(number);
    expect(kase).toMatchObject({ channel: 'email', urgency: 'critical', status: 'open', sla: { state: 'running', dueAt: '2026-11-23T08:15:00.000Z' } });
    // The subject heads the text; the signature is gone.
    expect(kase.messages[0].text).toBe('Tracking is down, all conversions lost\n\nSince 09:40 no conversions arrive.');

    await e.t.drain();
    const [ack] = e.mailsTo('ivan.petrov@acme.example');
    expect(ack.parsed.subject).toBe(`Re: [#${number}] Tracking is down, all conversions lost`);
    expect(ack.parsed.text).toMatch(new RegExp(`^We received your request: case #${number}\\. Urgency: critical\\.`));
    expect(ack.parsed.text).toContain('1. Set urgency: high — send /urgency high');
    expect(ack.parsed.html).toContain(`case #${number}`);
    expect(ack.parsed.from?.value[0]).toEqual({ name: 'Switchboard Support', address: SUPPORT });
    expect(ack.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack.parsed.inReplyTo).toBe(`<${m.messageId}>`);
    expect(ack.parsed.references).toBe(`<${m.messageId}>`);
    expect(ack.parsed.messageId).toMatch(new RegExp(`^<sb\\.${number}\\.\\w+@example\\.test>$`));

    // Read mail is flagged, never deleted.
    const flags = await withImap(e.dc, async (c) => {
      await c.mailboxOpen('INBOX');
      return (await c.fetchAll('1:*', { flags: true })).map((x) => [...x.flags!]);
    });
    expect(flags).toEqual([['\\Seen']]);
    acme = { ack: bare(ack.parsed.messageId), first: m.messageId, number };
  }, STEP_MS);

  test('a reply with quoted history continues the case; the manager sees only the new text, the full text stays a link away', async () => {
    const f = loadFixture('gmail-reply', { TO: SUPPORT, IN_REPLY_TO: acme.ack, REFERENCES: acme.first });
    const out = await stored(f.raw);
    expect(out).toMatchObject({ caseNumber: acme.number, opened: false });
    const kase = await e.caseView(acme.number);
    const reply = kase.messages.at(-1);
    expect(reply.text).toBe('Still broken on our side — the dashboard shows zero conversions since 09:40.\nCan you check again?\n\nIvan');
    expect(reply.attachments).toEqual([expect.objectContaining({ name: 'full-message.txt', mimeType: 'text/plain' })]);
    const full = await e.t.app.inject({ method: 'GET', url: reply.attachments[0].url.replace('https://switchboard.test', '') });
    expect(full.statusCode).toBe(200);
    expect(full.body).toContain('On Tue, 3 Mar 2026 at 14:05, Maria Petrova');
    expect(full.body).toContain('Still broken on our side');

    await e.t.drain();
    expect(e.t.notices.filter((n) => n.caseNumber === acme.number).map((n) => n.type)).toContain('client_message');
    // A follow-up gets no second acknowledgement.
    expect(e.mailsTo('ivan.petrov@acme.example')).toHaveLength(1);
  }, STEP_MS);

  test('an Outlook reply that kept only the subject token continues its case, in windows-1251 and in KOI8-R', async () => {
    await e.client('Client Corp', ['client-corp.example']);
    const opened = await stored(rawMail({ from: 'o.smirnova@client-corp.example', subject: 'Не работает трекинг', body: 'Конверсии не передаются с утра.' }).raw);
    const token = `[#${opened.caseNumber}]`;

    const cp1251 = await stored(loadFixture('outlook-reply', { TO: SUPPORT, SUBJECT_TOKEN: token }).raw);
    const koi8 = await stored(loadFixture('outlook-ru-reply', { TO: SUPPORT, SUBJECT_TOKEN: token }).raw);
    expect([cp1251.caseNumber, koi8.caseNumber]).toEqual([opened.caseNumber, opened.caseNumber]);
    const texts = (await e.caseView(opened.caseNumber)).messages.filter((m: { direction: string }) => m.direction === 'inbound').map((m: { text: string }) => m.text);
    // Quote blocks ("From: … Sent: …", "От: … Отправлено: …") and the sign-off are stripped.
    expect(texts.slice(1)).toEqual([
      'Добрый день!\n\nПроблема повторилась сегодня в 9:40, конверсии снова не передаются.\nПриложить логи?',
      'Добрый день!\n\nПосле обновления снова пропали конверсии за сегодня.\nПосмотрите, пожалуйста.',
    ]);
  }, STEP_MS);

  test('a mail to support+<case>@ continues that case', async () => {
    const out = await stored(rawMail({ from: 'ivan.petrov@acme.example', to: `support+${acme.number}@example.test`, subject: 'one more thing', body: 'Also the exports.' }).raw);
    expect(out).toMatchObject({ caseNumber: acme.number, opened: false });
  }, STEP_MS);

  test('HTML-only mail arrives as readable text', async () => {
    const out = await stored(loadFixture('html-only', { TO: SUPPORT }).raw);
    expect(out.opened).toBe(true);
    const [msg] = (await e.caseView(out.caseNumber)).messages;
    expect(msg.text).toMatch(/^Срочно: не приходят уведомления\n\nЗдравствуйте!\n\nС сегодняшнего утра не приходят push-уведомления ни на iOS, ни на Android\./);
    expect(msg.text).toContain('https://acme.example/orders/58213');
    expect(msg.text).not.toMatch(/<\/?[a-z]+[ >]|Дмитрий Орлов, Acme/);
  }, STEP_MS);

  test('a mail in ISO-8859-1 from an unknown sender becomes a standard client with a readable case', async () => {
    const out = await stored(loadFixture('latin1-new', { TO: SUPPORT }).raw);
    const kase = await e.caseView(out.caseNumber);
    expect(kase.messages[0].text).toBe("L'export échoue\n\nBonjour,\n\nDepuis ce matin, l'export des rapports échoue avec « erreur 500 ».\nPourriez-vous vérifier ? Merci d'avance.");
    const client = (await e.t.admin('GET', `/api/v1/clients/${kase.clientId}`)).json;
    expect(client).toMatchObject({ tier: 'standard', name: 'François Dupré (client-fr.example)' });
  }, STEP_MS);

  test('an attachment is kept as a link that serves the file; a forged link does not', async () => {
    const out = await stored(loadFixture('thunderbird-attachment', { TO: SUPPORT, FROM: 'ivan.petrov@acme.example' }).raw);
    const [msg] = (await e.caseView(out.caseNumber)).messages;
    expect(msg.attachments).toEqual([
      { name: 'export-2026-03-04.pdf', mimeType: 'application/pdf', size: 218, url: expect.stringMatching(/^https:\/\/switchboard\.test\/files\/email\?/) },
      expect.objectContaining({ name: 'full-message.txt' }),
    ]);
    const path = msg.attachments[0].url.replace('https://switchboard.test', '');
    const file = await e.t.app.inject({ method: 'GET', url: path });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.rawPayload.subarray(0, 8).toString()).toBe('%PDF-1.4');
    expect(file.rawPayload.length).toBe(218);
    const forged = await e.t.app.inject({ method: 'GET', url: path.replace(/sig=[^&]+/, 'sig=' + 'A'.repeat(32)) });
    expect(forged.statusCode).toBe(403);
    // 32 characters but more bytes (not ASCII): refused like any other forgery, not a 500.
    const wide = await e.t.app.inject({ method: 'GET', url: path.replace(/sig=[^&]+/, 'sig=' + encodeURIComponent('é'.repeat(32))) });
    expect(wide.statusCode).toBe(403);
  }, STEP_MS);

  test('a command on the first line of a reply is run; a subject tag sets the urgency of a new case', async () => {
    const tagged = await stored(rawMail({ from: 'ivan.petrov@acme.example', subject: '[low] Rename the report column', body: 'Could you rename "Conv." to "Conversions"?' }).raw);
    expect(await e.caseView(tagged.caseNumber)).toMatchObject({ urgency: 'low', urgencySource: 'client' });

    await e.t.drain();
    const ack = e.mailsTo('ivan.petrov@acme.example').find((m) => m.parsed.subject?.includes(`[#${tagged.caseNumber}]`))!;
    await e.deliver(rawMail({
      from: 'ivan.petrov@acme.example', subject: `Re: ${ack.parsed.subject}`, body: '/urgency high\n\nThanks,\nIvan\n\n> We received your request',
      inReplyTo: bare(ack.parsed.messageId),
    }).raw);
    expect(ingested(await e.pass())).toEqual([expect.objectContaining({ status: 'command', command: 'urgency' })]);
    expect(await e.caseView(tagged.caseNumber)).toMatchObject({ urgency: 'high', urgencySource: 'client' });
  }, STEP_MS);

  test('an auto-reply, a bounce and a mailing-list post: kept for the manager where they belong, never answered, no clock', async () => {
    const managerId = e.managerId;
    expect((await e.t.admin('POST', `/api/v1/cases/${acme.number}/needinfo`, { question: 'Which site id?', managerId })).status).toBe(200);
    await e.t.drain();
    const before = { mails: e.sink.messages.length, clients: (await e.t.admin('GET', '/api/v1/clients')).json.clients.length };
    const view = await e.caseView(acme.number);
    expect(view).toMatchObject({ status: 'waiting_on_client', sla: { state: 'paused' } });

    await e.deliver(loadFixture('auto-reply', { TO: SUPPORT, IN_REPLY_TO: acme.ack }).raw);
    await e.deliver(loadFixture('bounce', { TO: SUPPORT, IN_REPLY_TO: acme.ack }).raw);
    await e.deliver(loadFixture('mailing-list', { TO: SUPPORT, FROM: 'p.sokolov@unknown-list.example' }).raw);
    const items = await e.pass();
    expect(items.map((i) => i.result.kind === 'ingested' && [i.result.outcome.status, i.result.automated])).toEqual([
      ['stored', 'Auto-Submitted: auto-replied'],
      ['stored', 'Auto-Submitted: auto-replied'],
      ['ignored', 'Precedence: list'],
    ]);
    await e.t.drain();
    await e.t.tick();

    const after = await e.caseView(acme.number);
    // Still waiting on the client: an automated mail is not the client's answer, starts no clock, gets no answer.
    expect(after).toMatchObject({ status: 'waiting_on_client', sla: view.sla });
    const rows = await e.messages(acme.number);
    expect(rows.slice(-2).map((m) => [m.isAutomated, m.text.split('\n')[0]])).toEqual([
      [true, 'I am out of the office until Monday, 9 March, with limited access to email.'],
      [true, 'This is the mail system at host mx1.acme.example.'],
    ]);
    expect(e.sink.messages.length).toBe(before.mails);
    // A list post from nobody we know opens nothing and onboards nobody.
    expect((await e.t.admin('GET', '/api/v1/clients')).json.clients.length).toBe(before.clients);
  }, STEP_MS);

  test('no log line at info or above quotes a mail or names a client address or the mailbox password', () => {
    const text = e.t.log.entries.filter((x) => x.level !== 'debug').map((x) => `${x.msg ?? ''} ${JSON.stringify(x.obj)}`).join('\n');
    expect(text).toContain('email: mail ingested');
    for (const secret of ['ivan.petrov', 'o.smirnova', 'd.orlov', 'f.dupre', 'Since 09:40', 'Still broken', 'Конверсии', 'Ivan Petrov', e.dc.users[0].password])
      expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
  });
});
