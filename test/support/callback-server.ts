// A local stand-in for the vendor's app: receives signed in-app deliveries, records them, and answers with the
// statuses a test programs (e.g. 429 with Retry-After, then 200).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

export class CallbackServer {
  readonly received: Received[] = [];
  private script: { status: number; headers?: Record<string, string> }[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const next = this.script.shift() ?? { status: 200 };
      if (next.status >= 200 && next.status < 300) this.received.push({ headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
      else this.refused++;
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end('{}');
    });
  });
  refused = 0;
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
    return this;
  }

  /** The next responses, in order; after them every request gets 200. */
  respondWith(...statuses: { status: number; headers?: Record<string, string> }[]): void {
    this.script.push(...statuses);
  }

  texts(): string[] {
    return this.received.map((r) => r.body.text);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
