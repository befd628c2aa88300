// What our mails look like once built and read back by a mail client (nodemailer → bytes → mailparser), and the
// channel's configuration; no servers needed.
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { enabledChannels } from '../../src/channels/enable';
import type { OutboundMessage } from '../../src/core/ports';
import { composeMail, ourMessageId } from './compose';
import { decodeMail } from './harness';
import email from './index';
import { DeliveryError } from '../../src/core/ports';
import { toDeliveryError } from './send';

const from = { name: 'Acme Support', address: 'support@acme.example' };
const to = { to: 'ivan@client.example', name: 'Ivan', subject: 'Tracking is down', thread: ['root@client.example', 'second@client.example'] };

async function roundTrip(msg: OutboundMessage, id = 'sb.7.x@acme.example') {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await t.sendMail(composeMail(from, to, msg, id));
  return simpleParser(info.message as Buffer);
}

describe('our mail', () => {
  test('an acknowledgement: automatic, threaded, the case token in the subject, choices as a numbered list the harness reads back', async () => {
    const text = 'We received your request: case #7.\n1. Set urgency: high — send /urgency high\n2. Set urgency: low — send /urgency low';
    const p = await roundTrip({ kind: 'ack', text, caseNumber: 7, replyTo: { scope: 's', externalId: 'second@client.example' } });
    expect(p.subject).toBe('Re: [#7] Tracking is down');
    expect(p.from?.value[0]).toEqual({ name: 'Acme Support', address: 'support@acme.example' });
    expect(p.headers.get('auto-submitted')).toBe('auto-replied');
    expect(p.headers.get('x-auto-response-suppress')).toBe('OOF, AutoReply');
    expect(p.inReplyTo).toBe('<second@client.example>');
    expect(p.references).toEqual(['<root@client.example>', '<second@client.example>']);
    expect(decodeMail(p)).toEqual({ text: 'We received your request: case #7.', author: null, choices: ['/urgency high', '/urgency low'] });
  });

  test("a manager's reply: the name in From and as a signature, no automatic marks, HTML escaped", async () => {
    const p = await roundTrip({ kind: 'reply', text: 'Fixed <script> & deployed.\n\nSee https://status.acme.example/1', caseNumber: 7, author: { name: 'Maria Petrova' } });
    expect(p.from?.value[0]).toEqual({ name: 'Maria Petrova (Acme Support)', address: 'support@acme.example' });
    expect(p.headers.get('auto-submitted')).toBeUndefined();
    expect(p.html).toContain('Fixed &lt;script&gt; &amp; deployed.');
    expect(p.html).toContain('<a href="https://status.acme.example/1">');
    expect(decodeMail(p)).toEqual({ text: 'Fixed <script> & deployed.\n\nSee https://status.acme.example/1', author: 'Maria Petrova', choices: [] });
  });

  test('the same outbox row always gets the same Message-ID; another row or another database does not', () => {
    const a = ourMessageId('salt-1', 'outbox-42', 7, 'support@acme.example');
    expect(a).toMatch(/^sb\.7\.[A-Za-z0-9]{22}@acme\.example$/);
    expect(ourMessageId('salt-1', 'outbox-42', 7, 'support@acme.example')).toBe(a);
    expect(ourMessageId('salt-1', 'outbox-43', 7, 'support@acme.example')).not.toBe(a);
    expect(ourMessageId('salt-2', 'outbox-42', 7, 'support@acme.example')).not.toBe(a);
  });

  test('SMTP answers become retryable or permanent delivery errors, without client addresses', () => {
    const never = new AbortController().signal;
    const e = (x: object) => toDeliveryError(Object.assign(new Error('x'), x), never);
    expect(e({ responseCode: 451, response: '451 4.7.1 Try again later' })).toMatchObject({ retryable: true });
    expect(e({ responseCode: 550, response: '550 5.1.1 <ivan@client.example>: unknown' })).toMatchObject({ retryable: false, message: expect.stringContaining('<…@client.example>') });
    expect(e({ code: 'EAUTH', responseCode: 535, response: '535 bad credentials' })).toMatchObject({ retryable: true, message: expect.stringContaining('SMTP_USER') });
    expect(e({ code: 'ECONNECTION' })).toBeInstanceOf(DeliveryError);
    expect(e({ code: 'ECONNECTION' }).retryable).toBe(true);
  });
});

describe('configuration', () => {
  const base = { IMAP_HOST: 'imap.gmail.com', IMAP_USER: 'support@acme.example', IMAP_PASSWORD: 'app-password', SMTP_HOST: 'smtp.gmail.com', EMAIL_FROM: 'Acme Support <support@acme.example>' };

  test('the required five enable the channel; ports and TLS default as providers document them', () => {
    const { enabled, problems } = enabledChannels(base, [email]);
    expect(problems).toEqual([]);
    expect(enabled[0].config).toMatchObject({
      imap: { port: 993, tls: 'tls', mailbox: 'INBOX' }, smtp: { port: 587, tls: 'starttls', user: null }, from: { name: 'Acme Support', address: 'support@acme.example' },
      processedMailbox: null, autoReplyLimit: 5,
    });
  });

  test('a partial or wrong configuration names what is wrong', () => {
    expect(enabledChannels({ IMAP_HOST: 'imap.gmail.com' }, [email]).problems).toEqual([expect.stringContaining('IMAP_USER, IMAP_PASSWORD, SMTP_HOST, EMAIL_FROM missing')]);
    expect(enabledChannels({ ...base, SMTP_USER: 'x' }, [email]).problems).toEqual([expect.stringMatching(/^SMTP_PASSWORD: SMTP_USER and SMTP_PASSWORD go together/)]);
    expect(enabledChannels({ ...base, EMAIL_FROM: 'not an address' }, [email]).problems).toEqual([expect.stringMatching(/^EMAIL_FROM: /)]);
    expect(enabledChannels({ ...base, IMAP_TLS: 'maybe' }, [email]).problems).toEqual([expect.stringMatching(/^IMAP_TLS: /)]);
  });
});
