// A local stand-in for the Telegram Bot API (PLATFORMS.md §Telegram): answers `POST /bot<token>/<method>` with
// `{ ok: true, result }` the way the Bot API does, records every call, and lets a test script failures (429 with
// parameters.retry_after, 403 "bot was blocked by the user", 400 "chat not found", 5xx). Point telegraf at it with
// `apiRoot: fake.url` (TELEGRAM_API_ROOT).
//
// Where the real API would refuse a call, so does this one: text over 4,096 characters after entity parsing, HTML
// that doesn't parse ("can't parse entities"), callback data over 64 bytes, getUpdates while a webhook is set (409).
// Sent messages are kept per chat so a button press can name the message it came from and the keyboard can be edited.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramCall {
  method: string;
  args: Record<string, any>;
  /** HTTP status the fake answered with (scripted failures included). */
  status: number;
  /** The `result` of a successful answer. */
  result?: any;
  at: number;
}

export interface TelegramAnswer {
  status?: number;
  /** A JSON body (`{ ok: false, ... }` for failures); a string is sent as is (a proxy's HTML error page). */
  body?: any;
  /** Taken only by a request whose arguments match: a test can keep a scripted answer from a long poll that an
   *  earlier test's stopped poller sent and that reaches the fake late. */
  when?: (args: Record<string, any>) => boolean;
}

export interface FakeFile {
  fileId: string;
  content: Buffer;
  path: string;
  /** What getFile reports (defaults to the content's length); the sender's word, not necessarily the truth. */
  size: number;
  /** Sent without a content-length (chunked), so only counting the bytes tells its size. */
  chunked: boolean;
}

export const FAKE_BOT_TOKEN = '7000000001:AAHfakeTelegramTokenForTests_0123456';

/** Scripted answers shaped like the Bot API's own failures. */
export const refusals = {
  tooManyRequests: (retryAfter: number): TelegramAnswer => ({
    status: 429, body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
  }),
  blocked: (): TelegramAnswer => ({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } }),
  kicked: (): TelegramAnswer => ({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was kicked from the group chat' } }),
  chatNotFound: (): TelegramAnswer => ({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } }),
  migrated: (to: number): TelegramAnswer => ({
    status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: to } },
  }),
  queryTooOld: (): TelegramAnswer => ({
    status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: query is too old and response timeout expired or query ID is invalid' },
  }),
  unauthorized: (): TelegramAnswer => ({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } }),
  serverError: (status = 502): TelegramAnswer => ({ status, body: '<html><body>Bad Gateway</body></html>' }),
};

export class FakeTelegram {
  /** The Bot API root, e.g. 'http://127.0.0.1:PORT' (TELEGRAM_API_ROOT). */
  url = '';
  calls: TelegramCall[] = [];
  /** Paths of files fetched from /file/bot<token>/... */
  downloads: string[] = [];
  webhook: { url: string; secret_token?: string; allowed_updates?: string[] } | null = null;
  readonly botId: number;
  readonly bot: { id: number; is_bot: true; first_name: string; username: string; can_join_groups: boolean; can_read_all_group_messages: boolean; supports_inline_queries: boolean };

  private scripts = new Map<string, TelegramAnswer[]>();
  private chats = new Map<number, { nextId: number; messages: Map<number, any> }>();
  private queue: any[] = [];
  private waiters = new Set<() => void>();
  private files = new Map<string, FakeFile>();
  private server = http.createServer((req, res) => this.handle(req, res));

  constructor(readonly token: string = FAKE_BOT_TOKEN, username = 'switchboard_test_bot') {
    this.botId = Number(token.split(':')[0]);
    this.bot = { id: this.botId, is_bot: true, first_name: 'Switchboard', username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
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
    for (const wake of this.waiters) wake();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  callsOf(method: string): TelegramCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Successful sendMessage calls into a chat, in order. */
  sentTo(chatId: number): TelegramCall[] {
    return this.calls.filter((c) => c.method === 'sendMessage' && c.status === 200 && Number(c.args.chat_id) === chatId);
  }

  /** A message the bot sent, as it stands now (its keyboard removed after an edit). */
  message(chatId: number, messageId: number): any {
    return this.chats.get(chatId)?.messages.get(messageId);
  }

  /** The next answers for a method, in order; then the defaults resume. */
  script(method: string, ...answers: TelegramAnswer[]): void {
    const q = this.scripts.get(method) ?? [];
    q.push(...answers);
    this.scripts.set(method, q);
  }

  /** Updates for getUpdates to hand out (long polling). */
  pushUpdates(...updates: any[]): void {
    this.queue.push(...updates);
    for (const wake of this.waiters) wake();
  }

  /** Updates still unconfirmed (not yet passed by a getUpdates offset). */
  pending(): any[] {
    return [...this.queue];
  }

  addFile(fileId: string, content: Buffer, opts: { size?: number; path?: string; chunked?: boolean } = {}): FakeFile {
    const f = { fileId, content, path: opts.path ?? `documents/file_${this.files.size + 1}.bin`, size: opts.size ?? content.length, chunked: !!opts.chunked };
    this.files.set(fileId, f);
    return f;
  }

  /** Resolves once `count` calls of `method` were answered (successful or not). */
  async waitFor(method: string, count = 1, timeoutMs = 5000): Promise<TelegramCall[]> {
    const until = Date.now() + timeoutMs;
    while (this.callsOf(method).length < count) {
      if (Date.now() > until) throw new Error(`fake Telegram: expected ${count} ${method} call(s), got ${this.callsOf(method).length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.callsOf(method);
  }

  /**
   * Forget calls, downloads, scripts and queued updates; message ids keep counting. A long poll still open (from a
   * poller a test stopped) is answered empty now, so it can't take the next test's updates.
   */
  reset(): void {
    this.queue = [];
    for (const wake of this.waiters) wake();
    this.calls = [];
    this.downloads = [];
    this.scripts.clear();
  }

  // ---------------------------------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      let m: RegExpMatchArray | null;
      if ((m = path.match(/^\/file\/bot([^/]+)\/(.+)$/))) return this.download(decodeURIComponent(m[1]), decodeURIComponent(m[2]), res);
      if (!(m = path.match(/^\/bot([^/]+)\/(\w+)$/))) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      const [, token, method] = m;
      const args = parseArgs(String(req.headers['content-type'] ?? ''), Buffer.concat(chunks), (req.url ?? '').split('?')[1]);
      const call: TelegramCall = { method, args, status: 200, at: Date.now() };
      this.calls.push(call);
      const answer = (status: number, body: any) => {
        call.status = status;
        if (status === 200 && body?.ok) call.result = body.result;
        send(res, status, body);
      };
      if (decodeURIComponent(token) !== this.token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const queue = this.scripts.get(method);
      const scripted = queue?.length && (!queue[0].when || queue[0].when(args)) ? queue.shift() : undefined;
      if (scripted) return answer(scripted.status ?? 200, scripted.body === undefined ? { ok: true, result: true } : scripted.body);
      if (method === 'getUpdates') return void this.getUpdates(args, req, res, answer);
      try {
        const out = this.api(method, args);
        answer(out.ok ? 200 : out.error_code, out);
      } catch (e) {
        answer(500, { ok: false, error_code: 500, description: `fake Telegram: ${String(e)}` });
      }
    });
  }

  private api(method: string, a: Record<string, any>): any {
    const ok = (result: any) => ({ ok: true, result });
    const bad = (description: string) => ({ ok: false, error_code: 400, description: `Bad Request: ${description}` });
    switch (method) {
      case 'getMe':
        return ok(this.bot);
      case 'setWebhook':
        if (!/^https:\/\//.test(String(a.url ?? ''))) return bad('bad webhook: An HTTPS URL must be provided for webhook');
        this.webhook = { url: a.url, secret_token: a.secret_token, allowed_updates: a.allowed_updates };
        return ok(true);
      case 'deleteWebhook':
        this.webhook = null;
        return ok(true);
      case 'getWebhookInfo':
        return ok({ url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.queue.length });
      case 'setMyCommands':
        return ok(true);
      case 'answerCallbackQuery':
        if (!a.callback_query_id) return bad('query is too old and response timeout expired or query ID is invalid');
        return ok(true);
      case 'sendMessage':
        return this.sendMessage(a);
      case 'editMessageReplyMarkup': {
        const msg = this.message(Number(a.chat_id), Number(a.message_id));
        if (!msg) return bad('message to edit not found');
        const rows = a.reply_markup?.inline_keyboard;
        if (rows?.length) msg.reply_markup = a.reply_markup;
        else if (msg.reply_markup) delete msg.reply_markup;
        else return bad('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        return ok(msg);
      }
      case 'getFile': {
        const f = this.files.get(String(a.file_id ?? ''));
        if (!f) return bad('invalid file_id');
        if (f.size > 20 * 1024 * 1024) return bad('file is too big');
        return ok({ file_id: f.fileId, file_unique_id: `u-${f.fileId}`, file_size: f.size, file_path: f.path });
      }
      default:
        return { ok: false, error_code: 404, description: 'Not Found: method not found' };
    }
  }

  private sendMessage(a: Record<string, any>): any {
    const bad = (description: string) => ({ ok: false, error_code: 400, description: `Bad Request: ${description}` });
    const chatId = Number(a.chat_id);
    if (!Number.isSafeInteger(chatId)) return bad('chat not found');
    const raw = String(a.text ?? '');
    let text = raw;
    if (a.parse_mode === 'HTML') {
      const parsed = parseHtml(raw);
      if ('error' in parsed) return bad(`can't parse entities: ${parsed.error}`);
      text = parsed.text;
    }
    if (!text.trim()) return bad('message text is empty');
    if (text.length > 4096) return bad('message is too long');
    for (const row of a.reply_markup?.inline_keyboard ?? [])
      for (const b of row) if (typeof b.callback_data === 'string' && Buffer.byteLength(b.callback_data) > 64) return bad('BUTTON_DATA_INVALID');
    const chat = this.chats.get(chatId) ?? { nextId: 1, messages: new Map() };
    this.chats.set(chatId, chat);
    const msg: any = {
      message_id: chat.nextId++,
      from: this.bot,
      chat: chatId > 0 ? { id: chatId, type: 'private', first_name: 'Client' } : { id: chatId, type: chatId <= -1e12 ? 'supergroup' : 'group', title: 'Client group' },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(a.message_thread_id !== undefined ? { message_thread_id: Number(a.message_thread_id), is_topic_message: true } : {}),
      ...(a.reply_markup?.inline_keyboard?.length ? { reply_markup: a.reply_markup } : {}),
    };
    chat.messages.set(msg.message_id, msg);
    return { ok: true, result: msg };
  }

  private getUpdates(a: Record<string, any>, req: http.IncomingMessage, res: http.ServerResponse, answer: (s: number, b: any) => void): void {
    if (this.webhook)
      return answer(409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    const offset = Number(a.offset ?? 0);
    const limit = Math.min(100, Number(a.limit ?? 100));
    // An update is confirmed once getUpdates is called with an offset above its id: it is gone for good.
    if (offset) this.queue = this.queue.filter((u) => u.update_id >= offset);
    const ready = () => this.queue.slice(0, limit);
    if (ready().length || !Number(a.timeout)) return answer(200, { ok: true, result: ready() });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.waiters.delete(finish);
      if (!res.destroyed) answer(200, { ok: true, result: ready() });
    };
    const timer = setTimeout(finish, Number(a.timeout) * 1000);
    this.waiters.add(finish);
    // A poller that gave up (aborted its long poll) has closed the socket.
    res.on('close', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.waiters.delete(finish);
    });
    void req;
  }

  private download(token: string, path: string, res: http.ServerResponse): void {
    if (token !== this.token) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const f = [...this.files.values()].find((x) => x.path === path);
    if (!f) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    this.downloads.push(path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(f.chunked ? {} : { 'content-length': String(f.content.length) }) });
    if (!f.chunked) return void res.end(f.content);
    for (let i = 0; i < f.content.length; i += 1024) res.write(f.content.subarray(i, i + 1024));
    res.end();
  }
}

function send(res: http.ServerResponse, status: number, body: any): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
  res.end(text);
}

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'tg-emoji', 'code', 'pre', 'blockquote']);
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Telegram's HTML parse mode, strictly enough to catch what it refuses: unknown tags, bare < and &, unclosed tags. */
export function parseHtml(html: string): { text: string } | { error: string } {
  let text = '';
  const open: string[] = [];
  for (let i = 0; i < html.length; ) {
    const ch = html[i];
    if (ch === '<') {
      const m = /^<(\/?)([a-z-]+)(\s[^<>]*)?>/i.exec(html.slice(i));
      if (!m || !TAGS.has(m[2].toLowerCase())) return { error: `unsupported start tag at byte offset ${i}` };
      const tag = m[2].toLowerCase();
      if (m[1]) {
        if (open.pop() !== tag) return { error: `unmatched end tag "${tag}" at byte offset ${i}` };
      } else open.push(tag);
      i += m[0].length;
    } else if (ch === '&') {
      const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(html.slice(i));
      if (!m) return { error: `character & at byte offset ${i} must be escaped` };
      const name = m[1];
      if (name.startsWith('#x')) text += String.fromCodePoint(parseInt(name.slice(2), 16));
      else if (name.startsWith('#')) text += String.fromCodePoint(Number(name.slice(1)));
      else if (NAMED[name.toLowerCase()] !== undefined) text += NAMED[name.toLowerCase()];
      else return { error: `unsupported HTML entity "&${name};"` };
      i += m[0].length;
    } else if (ch === '>') {
      return { error: `character > at byte offset ${i} must be escaped` };
    } else {
      text += ch;
      i++;
    }
  }
  if (open.length) return { error: `can't find end tag corresponding to start tag "${open[open.length - 1]}"` };
  return { text };
}

function parseArgs(contentType: string, raw: Buffer, query?: string): Record<string, any> {
  const ct = contentType.toLowerCase();
  const text = raw.toString('utf8');
  if (ct.includes('application/json')) {
    try {
      const v = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      return {};
    }
  }
  const out: Record<string, any> = {};
  const form = ct.includes('multipart/form-data') ? multipartFields(raw, contentType) : new URLSearchParams(text || query || '');
  for (const [k, v] of form) out[k] = /^\s*[[{]/.test(v) ? safeJson(v) : v;
  return out;
}

function safeJson(v: string): any {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function multipartFields(raw: Buffer, contentType: string): [string, string][] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return [];
  const out: [string, string][] = [];
  for (const part of raw.toString('latin1').split(`--${boundary[1] ?? boundary[2]}`)) {
    const sep = part.indexOf('\r\n\r\n');
    const name = /[;\s]name="([^"]*)"/i.exec(part.slice(0, Math.max(0, sep)))?.[1];
    if (sep < 0 || !name) continue;
    out.push([name, Buffer.from(part.slice(sep + 4).replace(/\r\n$/, ''), 'latin1').toString('utf8')]);
  }
  return out;
}
