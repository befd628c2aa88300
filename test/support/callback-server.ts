// A local stand-in for the vendor's app: receives signed in-app deliveries, records them, and answers with the
// statuses a test programs (e.g. 429 with Retry-After, then 200), or holds a request unanswered for a while (an
// endpoint that accepts the connection and hangs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

/** `holdMs`: keep the request unanswered that long first (the answer then counts as received). */
type Scripted = { status: number; headers?: Record<string, string>; holdMs?: number };

export class CallbackServer {
  readonly received: Received[] = [];
  private script: Scripted[] = [];
  private holds = new Set<NodeJS.Timeout>();
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const next = this.script.shift() ?? { status: 200 };
      const answer = () => {
        if (next.status >= 200 && next.status < 300) this.received.push({ headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
        else this.refused++;
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end('{}');
      };
      if (!next.holdMs) return answer();
      this.held.push({ raw, body: JSON.parse(raw), at: Date.now() });
      const t = setTimeout(() => {
        this.holds.delete(t);
        // A sender that gave up has closed the connection: nothing was delivered.
        if (!req.socket.destroyed) answer();
        else this.abandoned++;
      }, next.holdMs);
      this.holds.add(t);
    });
  });
  refused = 0;
  /** Requests that were held (answered later, or abandoned by the sender), in arrival order. */
  readonly held: { raw: string; body: any; at: number }[] = [];
  /** Held requests whose sender gave up before the answer. */
  abandoned = 0;
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
    return this;
  }

  /** The next responses, in order; after them every request gets 200. */
  respondWith(...statuses: Scripted[]): void {
    this.script.push(...statuses);
  }

  texts(): string[] {
    return this.received.map((r) => r.body.text);
  }

  async stop(): Promise<void> {
    for (const t of this.holds) clearTimeout(t);
    this.holds.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
