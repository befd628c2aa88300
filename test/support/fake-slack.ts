// A local stand-in for the Slack Web API (PLATFORMS.md §Slack): answers `POST /api/<method>` the way the
// WebClient expects, records every call, lets a test script failures (429 with Retry-After, 500, ok:false), and
// takes the POSTs a slash command's response_url receives. Pass `fake.url` as the WebClient's `slackApiUrl`.
//
// The WebClient posts application/x-www-form-urlencoded with nested values (blocks, attachments, view, ...)
// JSON-encoded inside fields; those are parsed back here. Scalars stay as Slack sees them: strings
// (`is_private: 'true'`, `unfurl_links: 'false'`). JSON and multipart bodies are accepted too; any other content
// type is read as a form rather than refused (a 415 would make the client retry until the test hangs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  token: string | null;
  at: number;
  /** The body answered when it was a success (e.g. chat.postMessage's `ts`). */
  result?: Record<string, any>;
}

export interface SlackAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: any;
  /** Answer only a call whose arguments match (e.g. one channel's posts); other calls pass it by. */
  when?: (args: Record<string, any>) => boolean;
}

export class FakeSlack {
  /** e.g. 'http://127.0.0.1:PORT/api/' (the WebClient's slackApiUrl). */
  url = '';
  /** Every Web API request, in arrival order, scripted failures included (so retries can be counted). */
  calls: SlackCall[] = [];
  /** What was POSTed to response URLs (slash-command / interaction response_url). */
  responses: { id: string; body: any }[] = [];
  /** Bytes POSTed to upload URLs handed out by files.getUploadURLExternal. */
  uploads: { fileId: string; size: number }[] = [];

  private origin = '';
  private scripts = new Map<string, SlackAnswer[]>();
  private counters = new Map<string, number>();
  private tsCounter = 0;
  private server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.url = `${this.origin}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The next answers for a method, in order; then the defaults resume. */
  script(method: string, ...answers: SlackAnswer[]): void {
    const queue = this.scripts.get(method) ?? [];
    queue.push(...answers);
    this.scripts.set(method, queue);
  }

  /** A URL on this server to use as a slash command's or interaction's response_url. */
  responseUrl(id?: string): string {
    return `${this.origin}/response/${encodeURIComponent(id ?? `R${this.next('R')}`)}`;
  }

  /** Forget calls, responses, uploads and pending scripts; id and ts counters keep counting. */
  reset(): void {
    this.calls = [];
    this.responses = [];
    this.uploads = [];
    this.scripts.clear();
  }

  // ---------------------------------------------------------------------------------------------------------

  private next(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  /** Monotonically increasing message ts: '1790000000.000100', '1790000000.000200', ... */
  private nextTs(): string {
    this.tsCounter += 1;
    const micros = 1_790_000_000_000_000 + this.tsCounter * 100;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0];
      try {
        let m: RegExpMatchArray | null;
        if ((m = path.match(/^\/api\/([\w.]+)$/))) return this.api(m[1], req, raw, res);
        if ((m = path.match(/^\/response\/([^/]+)$/))) {
          this.responses.push({ id: decodeURIComponent(m[1]), body: parseAny(raw.toString('utf8')) });
          res.writeHead(200, { 'content-type': 'text/plain' });
          return void res.end('ok');
        }
        if ((m = path.match(/^\/upload\/([^/]+)$/))) {
          this.uploads.push({ fileId: decodeURIComponent(m[1]), size: raw.length });
          res.writeHead(200, { 'content-type': 'text/plain' });
          return void res.end('OK');
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'unknown_path' }));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'fake_slack_error', detail: String(e) }));
      }
    });
  }

  private api(method: string, req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const args = parseArgs(String(req.headers['content-type'] ?? ''), raw);
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1] ?? null;
    const token = bearer ?? (typeof args.token === 'string' ? args.token : null);
    delete args.token;
    const call: SlackCall = { method, args, token, at: Date.now() };
    this.calls.push(call);

    const queue = this.scripts.get(method) ?? [];
    const i = queue.findIndex((a) => !a.when || a.when(args));
    const scripted = i >= 0 ? queue.splice(i, 1)[0] : undefined;
    if (scripted) {
      const body = scripted.body === undefined ? { ok: true } : scripted.body;
      if ((scripted.status ?? 200) < 300 && body?.ok === true) call.result = body;
      res.writeHead(scripted.status ?? 200, { 'content-type': 'application/json', ...scripted.headers });
      return void res.end(typeof body === 'string' ? body : JSON.stringify(body));
    }
    call.result = { ok: true, ...this.defaultAnswer(method, args) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(call.result));
  }

  private defaultAnswer(method: string, args: Record<string, any>): Record<string, any> {
    switch (method) {
      case 'auth.test':
        return { user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' };
      case 'conversations.create':
        return { channel: { id: `C${this.next('C')}`, name: args.name, is_private: truthy(args.is_private) } };
      case 'conversations.invite':
      case 'conversations.join':
      case 'conversations.archive':
        return { channel: { id: args.channel } };
      case 'conversations.open':
        return { channel: { id: args.channel ?? `D${args.users}` } };
      case 'chat.postMessage': {
        const ts = this.nextTs();
        return { channel: args.channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.update':
        return { channel: args.channel, ts: args.ts };
      case 'chat.postEphemeral':
        return { message_ts: this.nextTs() };
      case 'reactions.add':
        return {};
      case 'views.publish':
      case 'views.open':
      case 'views.update':
        return { view: { id: args.view_id ?? `V${this.next('V')}` } };
      case 'users.info':
        return { user: { id: args.user, tz: 'Europe/Moscow', real_name: 'User' } };
      case 'files.getUploadURLExternal': {
        const id = `F${this.next('F')}`;
        return { upload_url: `${this.origin}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = Array.isArray(args.files) ? args.files : [];
        return { files: files.map((f: any) => ({ id: f.id, title: f.title })) };
      }
      default:
        return {};
    }
  }
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** A field that looks like a JSON object or array is parsed; anything else stays a string. */
function maybeJson(v: string): any {
  if (!/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function fromForm(text: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = maybeJson(v);
  return out;
}

function parseAny(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseArgs(contentType: string, raw: Buffer): Record<string, any> {
  const ct = contentType.toLowerCase();
  const text = raw.toString('utf8');
  if (ct.includes('application/json')) {
    const v = parseAny(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  }
  if (ct.includes('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    if (boundary) return fromMultipart(raw, boundary[1] ?? boundary[2]);
  }
  // x-www-form-urlencoded, or anything else: accept it rather than answer 415 (the client would retry forever).
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const v = parseAny(trimmed);
    if (v && typeof v === 'object') return v;
  }
  return fromForm(text);
}

/** Text parts become fields (JSON-looking ones parsed); file parts become { filename, size }. */
function fromMultipart(raw: Buffer, boundary: string): Record<string, any> {
  const out: Record<string, any> = {};
  const body = raw.toString('latin1');
  for (const part of body.split(`--${boundary}`)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    const name = /[;\s]name="([^"]*)"/i.exec(head)?.[1];
    if (!name) continue;
    const value = part.slice(sep + 4).replace(/\r\n$/, '');
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    out[name] = filename !== undefined
      ? { filename, size: Buffer.byteLength(value, 'latin1') }
      : maybeJson(Buffer.from(value, 'latin1').toString('utf8'));
  }
  return out;
}
