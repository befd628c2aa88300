// The mailbox receiver (single-instance, under src/jobs/receivers.ts's lease). One pass reads every mail above the
// cursor in UID order and hands each to core, whose transaction writes the cursor (UIDVALIDITY and the UID) with the
// message: a restart neither loses nor repeats one. Between passes the server pushes new mail (IDLE); a watchdog NOOP
// notices a connection that died silently, and reconnection backs off. An ImapFlow can't reconnect: each connection
// is a new one.
//
// A mail that can't be read is left in the mailbox unread (with a keyword where the server allows one) and reported
// to the support lead once; the mails after it go on. Processed mail is flagged \Seen or moved, never deleted.
import type { ImapFlow } from 'imapflow';
import type { ChannelDeps } from '../../src/channels/module';
import { describeError } from '../../src/core/errors';
import { backoffMs, sleepUnlessAborted } from '../../src/core/backoff';
import { sha256 } from './address';
import { closeImap, newImap } from './imap';
import { processMail, type InboundDeps, type Processed } from './inbound';

export interface Cursor {
  uidValidity: string;
  uid: number;
}

export interface ReceiveOptions {
  idleDelayMs: number;
  connectTimeoutMs: number;
  watchdogMs: number;
  noopTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A mail whose ingest keeps throwing is set aside after this many attempts spanning `poisonAfterMs`. */
  poisonAttempts: number;
  poisonAfterMs: number;
}

export const DEFAULT_RECEIVE: Omit<ReceiveOptions, 'watchdogMs'> = {
  idleDelayMs: 1000, connectTimeoutMs: 15_000, noopTimeoutMs: 10_000, backoffBaseMs: 1000, backoffMaxMs: 60_000, poisonAttempts: 5, poisonAfterMs: 120_000,
};

export type PassItem = { uid: number; result: Processed | { kind: 'vanished' } };

export const UNREADABLE_KEYWORD = '$SwitchboardUnreadable';
/** Failed connection attempts in a row (about half a minute with the default backoff) before the lead is told. */
const OUTAGE_ALERT_AFTER = 5;

export interface ReceiverDeps extends InboundDeps {
  state: ChannelDeps<unknown>['state'];
  alertLead: ChannelDeps<unknown>['alertLead'];
}

export class MailboxReceiver {
  readonly name = 'imap';
  /** Connections made so far (tests watch reconnection). */
  connections = 0;
  private readonly failures = new Map<number, { count: number; since: number }>();

  constructor(private readonly d: ReceiverDeps, private readonly o: ReceiveOptions) {}

  private get mailbox() {
    return this.d.cfg.imap.mailbox;
  }

  private get cursorKey() {
    return `cursor:${this.mailbox}`;
  }

  /** One connection, one pass, then logout: what the harness and the tests drive instead of waiting on IDLE. */
  async receiveOnce(): Promise<PassItem[]> {
    const client = await this.open();
    try {
      return await this.pass(client, new AbortController().signal);
    } finally {
      await closeImap(client);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let lastError = '';
    let outage = false;
    while (!signal.aborted) {
      let client: ImapFlow | null = null;
      let served = false;
      try {
        client = await this.open();
        this.connected(true);
        this.d.channel.log.info({ channel: 'email', mailbox: this.mailbox }, 'email: connected to the mailbox');
        served = await this.serve(client, signal, () => {
          if (!outage) return;
          outage = false;
          void this.tellLead(`Mail is being read again from ${this.mailbox}.`);
        });
      } catch (err) {
        lastError = describeError(err);
        this.d.channel.log.warn({ channel: 'email', err: lastError }, 'email: mailbox connection failed');
      } finally {
        this.connected(false);
        await closeImap(client);
      }
      if (signal.aborted) break;
      failures = served ? 1 : failures + 1;
      // Unread mail is unanswered clients: a mailbox that stays out of reach is worth a person's attention.
      if (failures === OUTAGE_ALERT_AFTER && !outage) {
        outage = true;
        void this.tellLead(`Mail is not being read: ${OUTAGE_ALERT_AFTER} attempts in a row to use the mailbox ${this.mailbox} on ${this.d.cfg.imap.host} failed (last: ${lastError}). Retrying.`);
      }
      const wait = backoffMs(failures, this.o.backoffBaseMs, this.o.backoffMaxMs);
      this.d.channel.log.info({ channel: 'email', retryInMs: wait, failures }, 'email: reconnecting to the mailbox');
      await sleepUnlessAborted(wait, signal);
    }
  }

  private async tellLead(text: string): Promise<void> {
    await this.d.alertLead(text).catch((err) => this.d.channel.log.warn({ channel: 'email', err: describeError(err) }, 'email: could not alert the lead'));
  }

  private connected(up: boolean) {
    this.d.channel.metrics.receiverConnected.set({ receiver: `email:${this.name}` }, up ? 1 : 0);
  }

  private async open(): Promise<ImapFlow> {
    const client = newImap(this.d.cfg.imap, { idleDelayMs: this.o.idleDelayMs, connectTimeoutMs: this.o.connectTimeoutMs });
    try {
      await client.connect();
      this.connections++;
      const target = this.d.cfg.processedMailbox;
      if (target && !(await client.list()).some((b) => b.path === target)) await client.mailboxCreate(target).catch(() => undefined);
      await client.mailboxOpen(this.mailbox);
      return client;
    } catch (err) {
      await closeImap(client);
      throw err;
    }
  }

  /**
   * Passes on this connection until it closes or the lease is lost: one at start, one per EXISTS push and one per
   * watchdog tick (a push lost in a reconnect is picked up within a tick). True when at least one pass completed.
   */
  private serve(client: ImapFlow, signal: AbortSignal, onServed: () => void): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let running: Promise<void> | null = null;
      let again = false;
      let done = false;
      let served = false;
      let watchdog: NodeJS.Timeout | undefined;
      const kick = () => {
        if (done) return;
        if (running) {
          again = true;
          return;
        }
        running = (async () => {
          do {
            again = false;
            await this.pass(client, signal);
            if (!served) onServed();
            served = true;
          } while (again && !done && !signal.aborted);
        })();
        running.then(
          () => void (running = null),
          (err) => {
            running = null;
            finish(err);
          },
        );
      };
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(watchdog);
        client.off('exists', kick);
        signal.removeEventListener('abort', onAbort);
        // A pass in flight finishes its current mail (its ingest is one transaction) before the receiver stops.
        void (running ?? Promise.resolve()).catch(() => undefined).then(() => (err ? reject(err) : resolve(served)));
      };
      const onAbort = () => finish();
      watchdog = setInterval(() => {
        if (running || done) return;
        const timeout = new Promise<never>((_, no) => setTimeout(() => no(new Error(`no answer to NOOP within ${this.o.noopTimeoutMs} ms`)), this.o.noopTimeoutMs).unref());
        Promise.race([client.noop(), timeout]).then(kick, (err) => {
          this.d.channel.log.warn({ channel: 'email', err: describeError(err) }, 'email: the mailbox connection stopped answering; reconnecting');
          client.close();
        });
      }, this.o.watchdogMs);
      client.on('exists', kick);
      client.once('close', () => finish());
      signal.addEventListener('abort', onAbort, { once: true });
      kick();
    });
  }

  /** Every mail above the cursor, in UID order. */
  async pass(client: ImapFlow, signal: AbortSignal): Promise<PassItem[]> {
    const box = client.mailbox;
    if (!box) throw new Error('no mailbox is open');
    const validity = String(box.uidValidity);
    let cursor = await this.d.state.get<Cursor>(this.cursorKey);
    const out: PassItem[] = [];
    if (!cursor) {
      // First start on this mailbox: what a person hasn't read yet is taken; older mail is history, not requests.
      const boundary = box.uidNext - 1;
      if (boundary > 0) {
        const unseen = ((await client.search({ seen: false, uid: `1:${boundary}` }, { uid: true })) || []).sort((a, b) => a - b);
        for (const uid of unseen) {
          if (signal.aborted) return out;
          out.push(await this.one(client, validity, uid));
        }
      }
      cursor = { uidValidity: validity, uid: boundary };
      await this.d.state.set(this.cursorKey, cursor);
    } else if (cursor.uidValidity !== validity) {
      // The mailbox was rebuilt (restored, migrated): UIDs mean nothing now. Everything is read again, and what was
      // stored before is recognised by its Message-ID.
      this.d.channel.log.warn({ channel: 'email', mailbox: this.mailbox, was: cursor.uidValidity, now: validity }, 'email: UIDVALIDITY changed; rescanning the mailbox');
      await this.d.alertLead(`The mailbox ${this.mailbox} was rebuilt on the server (UIDVALIDITY ${cursor.uidValidity} → ${validity}); every mail in it is read again and the ones already stored are skipped.`);
      cursor = { uidValidity: validity, uid: 0 };
      // Kept at once: a rebuilt mailbox that is empty (or whose rescan is cut short) is not reported again.
      await this.d.state.set(this.cursorKey, cursor);
    }
    for (const { uid, size } of await this.listAfter(client, cursor.uid)) {
      if (signal.aborted) break;
      out.push(await this.one(client, validity, uid, size));
    }
    return out;
  }

  private async listAfter(client: ImapFlow, last: number): Promise<{ uid: number; size: number }[]> {
    const found: { uid: number; size: number }[] = [];
    // `N:*` with N above every UID still returns the highest message (RFC 3501): the filter is what makes it safe.
    for await (const m of client.fetch(`${last + 1}:*`, { uid: true, size: true }, { uid: true })) if (m.uid > last) found.push({ uid: m.uid, size: m.size ?? 0 });
    return found.sort((a, b) => a.uid - b.uid);
  }

  private async one(client: ImapFlow, validity: string, uid: number, knownSize?: number): Promise<PassItem> {
    const cursor = { key: this.cursorKey, value: { uidValidity: validity, uid } satisfies Cursor };
    const size = knownSize ?? ((await client.fetchOne(String(uid), { size: true }, { uid: true })) || undefined)?.size ?? 0;
    const headersOnly = size > this.d.cfg.maxMessageBytes;
    const msg = await client.fetchOne(String(uid), headersOnly ? { headers: true } : { source: true }, { uid: true });
    const raw = msg ? (headersOnly ? msg.headers : msg.source) : undefined;
    if (!raw) {
      // Expunged by someone else between the listing and the fetch: nothing left to read.
      await this.d.state.set(cursor.key, cursor.value);
      return { uid, result: { kind: 'vanished' } };
    }
    let result: Processed;
    try {
      result = await processMail(this.d, raw, { mailbox: this.mailbox, uidValidity: validity, uid, size, headersOnly }, cursor);
      this.failures.delete(uid);
    } catch (err) {
      const f = this.failures.get(uid) ?? { count: 0, since: Date.now() };
      f.count++;
      this.failures.set(uid, f);
      // A transient failure (the database restarting) is retried with the mail's turn kept; one that keeps failing
      // while everything else works is set aside, so it never blocks the mails after it.
      if (f.count < this.o.poisonAttempts || Date.now() - f.since < this.o.poisonAfterMs) throw err;
      result = { kind: 'unparseable', reason: `it could not be stored after ${f.count} attempts (${describeError(err)})` };
      this.failures.delete(uid);
    }
    if (result.kind === 'unparseable') {
      await this.setAside(client, raw, uid, result.reason);
      await this.d.state.set(cursor.key, cursor.value);
      return { uid, result };
    }
    if (result.outcome.status !== 'stored' && result.outcome.status !== 'command') await this.d.state.set(cursor.key, cursor.value);
    await this.markProcessed(client, uid);
    return { uid, result };
  }

  private async markProcessed(client: ImapFlow, uid: number): Promise<void> {
    const target = this.d.cfg.processedMailbox;
    try {
      if (target) await client.messageMove(String(uid), target, { uid: true });
      else await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    } catch (err) {
      // The cursor already says it was read; the flag is for people looking at the mailbox.
      this.d.channel.log.warn({ channel: 'email', uid, err: describeError(err) }, 'email: could not mark a processed mail');
    }
  }

  private async setAside(client: ImapFlow, raw: Buffer, uid: number, reason: string): Promise<void> {
    await client.messageFlagsAdd(String(uid), [UNREADABLE_KEYWORD], { uid: true }).catch(() => undefined);
    const head = raw.subarray(0, 64 * 1024).toString('latin1').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1].trim().slice(0, 200);
    const fromDomain = /@([^\s>]+)/.exec(header('from') ?? '')?.[1];
    this.d.channel.log.warn({ channel: 'email', uid, senderDomain: fromDomain, reason }, 'email: a mail could not be read; set aside');
    // Once per mail, even when a rescan or a crash brings it back.
    const key = `unreadable:${sha256(header('message-id') ?? raw)}`;
    if (await this.d.state.get(key)) return;
    await this.d.alertLead(
      `A mail in ${this.mailbox} (UID ${uid}${fromDomain ? `, from ${fromDomain}` : ''}${header('date') ? `, dated ${header('date')}` : ''}) could not be read: ${reason}. ` +
        `It stays in the mailbox unread, marked ${UNREADABLE_KEYWORD}, for someone to handle by hand.`,
    );
    await this.d.state.set(key, { at: this.d.channel.clock.now().toISOString(), uid });
  }
}
