// Platform faults for the chaos cases (redelivery, platform outage, IMAP restart): loopback proxies that stand in front
// of the fakes (test/support/fake-*.ts, the callback server, the SMTP sink) and, for a stretch of real time, answer
// the way each platform answers when it is rate limiting or failing — 429 with its retry hint, then a 5xx — instead of
// passing the request on. The fakes themselves stay as they are, so what reached a platform is exactly what its fake
// recorded: a refused attempt never did.
//
// Also: a clock that runs in real time (the test service's FixedClock, moved along with the wall clock, so outbox
// retries and leases become due while a case waits for them), and a few small helpers the cases share.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TestService } from '../../test/support/service';

export { sleep, waitFor as waitUntil } from './service';

/** One scripted answer of a failing platform. */
export interface FailureAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** How each platform says "too many requests" (with its retry hint) and "something broke on our side". */
export const PLATFORM_FAILURES: Record<'inapp' | 'telegram' | 'botframework' | 'slack', FailureAnswer[]> = {
  // The vendor's own endpoint: any HTTP server's 429 with Retry-After, and a proxy's 503.
  inapp: [
    { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: '{"error":"slow down"}' },
    { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><body>Service Unavailable</body></html>' },
  ],
  // Bot API: 429 carries parameters.retry_after (seconds); a 5xx comes from Telegram's front end as HTML.
  telegram: [
    { status: 429, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }) },
    { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
  ],
  // Bot Connector: 429 with Retry-After, and the service's 500/503.
  botframework: [
    { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'Too many requests' } }) },
    { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'ServiceError', message: 'Internal server error' } }) },
  ],
  // Web API: 429 with Retry-After and {"ok":false,"error":"ratelimited"}; an outage is a 503 page.
  slack: [
    { status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'ratelimited' }) },
    { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><body>Slack is down</body></html>' },
  ],
};

/** Shared by both proxies: whether the platform is failing now. */
abstract class Faulty {
  private until = 0;
  /** Attempts answered with a failure instead of being passed on (each one a request the platform never took). */
  refused = 0;
  /** Requests (HTTP) or connections (SMTP) passed on to the fake. */
  forwarded = 0;
  /** Fails for `ms` of real time from now, then recovers by itself. */
  fail(ms: number): void {
    this.until = Date.now() + ms;
  }
  get failing(): boolean {
    return Date.now() < this.until;
  }
}

/**
 * An HTTP reverse proxy on loopback in front of one fake. While up it passes every request on unchanged (method, path,
 * headers, body) and relays the answer; while failing it answers with the platform's failures in turn (429, 5xx, …).
 */
export class OutageProxy extends Faulty {
  /** e.g. 'http://127.0.0.1:PORT' (no trailing slash). */
  url = '';
  private turn = 0;
  private readonly target: URL;
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  constructor(target: string, private readonly failures: FailureAnswer[]) {
    super();
    this.target = new URL(target);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.failing) {
        this.refused++;
        const f = this.failures[this.turn++ % this.failures.length];
        res.writeHead(f.status, { ...f.headers, connection: 'close' });
        return void res.end(f.body);
      }
      this.forwarded++;
      const body = Buffer.concat(chunks);
      const up = http.request(
        {
          host: this.target.hostname, port: this.target.port, method: req.method, path: req.url,
          headers: { ...req.headers, host: this.target.host, 'content-length': String(body.length) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('proxy: the fake did not answer');
      });
      up.end(body);
    });
  }
}

/**
 * A TCP proxy in front of the SMTP sink. While up it pipes each connection through; while failing it either greets
 * with "421 … try again later" and hangs up (a server shedding load) or drops the connection at once (a network
 * failure), in turn. Connections already piped when an outage starts are left to finish: cutting one after the sink
 * took the mail but before we read its "250" would make a second copy that is the test's doing, not the service's.
 */
export class SmtpOutageProxy extends Faulty {
  readonly host = '127.0.0.1';
  port = 0;
  private turn = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.handle(client));

  constructor(private readonly targetPort: number) {
    super();
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private handle(client: net.Socket): void {
    this.track(client);
    if (this.failing) {
      this.refused++;
      if (this.turn++ % 2 === 0) client.end('421 4.3.2 Service not available, try again later\r\n');
      else client.destroy();
      return;
    }
    this.forwarded++;
    const up = net.connect(this.targetPort, this.host);
    this.track(up);
    client.pipe(up).pipe(client);
    const both = () => {
      client.destroy();
      up.destroy();
    };
    client.on('close', both);
    up.on('close', both);
  }
}

/**
 * Moves the test service's clock along with the wall clock (every 20 ms), so what core schedules "in 2 s" — an outbox
 * retry, a Retry-After, a lease — comes due 2 s later in real time, while the calendar date stays the test's own.
 */
export function runClockInRealTime(t: TestService): { stop(): void } {
  const base = t.clock.now().getTime();
  const started = Date.now();
  const timer = setInterval(() => t.clock.set(new Date(base + (Date.now() - started))), 20);
  return { stop: () => clearInterval(timer) };
}

/** A small seeded generator (mulberry32), so a run's interleavings can be reproduced with CHAOS_SEED. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts of a multiset: how often each value occurs. */
export function tally<T>(values: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** A fixed-width table for the summaries the cases print. */
export function table(head: string[], rows: (string | number)[][]): string {
  const all = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}
