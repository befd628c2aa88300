// One loopback proxy per service instance in front of the fake Bot API: the fake can't tell its callers apart, the
// proxy records which instance made each call and when it started and ended (a long poll ends when answered or when
// its caller dies, which closes the connection — the proxy then drops the upstream request too).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  instance: string;
  method: string;
  start: number;
  end: number;
}

export class TaggingProxy {
  url = '';
  private readonly server: http.Server;

  constructor(
    readonly instance: string,
    upstream: string,
    calls: ProxiedCall[],
  ) {
    const to = new URL(upstream);
    this.server = http.createServer((req, res) => {
      const call: ProxiedCall = { instance, method: /\/(\w+)$/.exec((req.url ?? '').split('?')[0])?.[1] ?? '?', start: Date.now(), end: 0 };
      calls.push(call);
      const done = () => (call.end ||= Date.now());
      const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      res.on('close', () => {
        done();
        up.destroy();
      });
      req.pipe(up);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
