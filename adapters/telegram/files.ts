// Files clients send stay on Telegram's servers: the case stores a reference (file id, name, size, type) and the
// managers get a link to our route, which asks Telegram for the file (getFile) only when someone opens it. The link
// is signed, so only links we handed out work, and the download is cut off at the configured size.
import { createHmac } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { TelegramError } from 'telegraf';
import { describeError } from '../../src/core/errors';
import { sameSecret } from '../../src/http/compare';
import type { Logger } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import type { BotApi } from './bot';
import type { TelegramConfig } from './config';
import type { FileRef } from './normalize';

export const FILES_PATH = '/files/telegram';

/** Types a browser may show inline-safe; anything else is served as bytes (and always as a download). */
const SAFE_TYPES = /^(image\/(jpeg|png|gif|webp)|video\/(mp4|webm|quicktime)|audio\/(ogg|mpeg|mp4|x-m4a)|application\/(pdf|zip))$/;

export class FileLinks {
  private readonly key: Buffer;

  constructor(secret: string, private readonly baseUrl: string) {
    // A key of its own, so a file link never reveals anything about the webhook secret.
    this.key = createHmac('sha256', secret).update('switchboard telegram file links v1').digest();
  }

  sign(fileId: string): string {
    return createHmac('sha256', this.key).update(fileId).digest('base64url').slice(0, 32);
  }

  verify(fileId: string, sig: unknown): boolean {
    return typeof sig === 'string' && sameSecret(this.sign(fileId), sig);
  }

  attachment(ref: FileRef): Attachment {
    const q = new URLSearchParams({ name: ref.name, ...(ref.mimeType ? { type: ref.mimeType } : {}), sig: this.sign(ref.fileId) });
    return {
      name: ref.name,
      url: `${this.baseUrl}${FILES_PATH}/${encodeURIComponent(ref.fileId)}?${q}`,
      ...(ref.mimeType ? { mimeType: ref.mimeType } : {}),
      ...(ref.size !== undefined ? { size: ref.size } : {}),
    };
  }
}

export interface FileRouteDeps {
  cfg: Pick<TelegramConfig, 'botToken' | 'apiRoot' | 'fileLimitBytes'>;
  api: BotApi;
  links: FileLinks;
  log: Logger;
}

const limitText = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

export async function fileRoutes(app: FastifyInstance, d: FileRouteDeps): Promise<void> {
  // A download that fails after its headers were set (the size cap) is answered by the service's error handler, as
  // JSON: the file's headers must not describe that answer.
  app.setErrorHandler((err, _req, reply) => {
    for (const h of ['content-type', 'content-disposition', 'content-length', 'cache-control']) reply.removeHeader(h);
    throw err;
  });
  app.get<{ Params: { fileId: string }; Querystring: { name?: string; type?: string; sig?: string } }>(`${FILES_PATH}/:fileId`, async (req, reply) => {
    const { fileId } = req.params;
    if (!d.links.verify(fileId, req.query.sig)) return reply.code(403).send({ error: 'this file link is not valid' });
    const limit = d.cfg.fileLimitBytes;
    let file: { file_size?: number; file_path?: string };
    try {
      file = await d.api.call('getFile', { file_id: fileId }, { signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      if (err instanceof TelegramError && /too big/i.test(err.description)) return reply.code(413).send({ error: `the file is larger than Telegram lets bots download` });
      d.log.warn({ channel: 'telegram', err: describeError(err) }, 'getFile failed');
      return reply.code(502).send({ error: 'Telegram did not hand out the file; try again later' });
    }
    if ((file.file_size ?? 0) > limit) return reply.code(413).send({ error: `the file is larger than ${limitText(limit)}` });
    if (!file.file_path) return reply.code(502).send({ error: 'Telegram did not hand out the file; try again later' });

    // The download URL holds the bot token: it is never logged or shown.
    const url = new URL(`./file/bot${d.cfg.botToken}/${file.file_path}`, `${d.cfg.apiRoot}/`);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 120_000);
    let res: Response;
    try {
      res = await fetch(url, { signal: ac.signal, redirect: 'error' });
    } catch (err) {
      clearTimeout(timer);
      d.log.warn({ channel: 'telegram', err: (err as Error).name }, 'file download failed');
      return reply.code(502).send({ error: 'the file could not be fetched from Telegram; try again later' });
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (!res.ok || !res.body || length > limit) {
      clearTimeout(timer);
      ac.abort();
      return res.ok && length > limit
        ? reply.code(413).send({ error: `the file is larger than ${limitText(limit)}` })
        : reply.code(502).send({ error: 'the file could not be fetched from Telegram; try again later' });
    }
    const type = typeof req.query.type === 'string' && SAFE_TYPES.test(req.query.type) ? req.query.type : 'application/octet-stream';
    const name = (typeof req.query.name === 'string' && req.query.name ? req.query.name : 'file').replace(/[\r\n"\\/]/g, '_').slice(0, 200);
    let seen = 0;
    // Telegram's sizes are the sender's word; the bytes are counted too, and a stream that runs over is cut.
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        // Before the first bytes went out this is still a 413; later the connection is cut.
        if (seen > limit) return done(Object.assign(new Error(`the file is larger than ${limitText(limit)}`), { statusCode: 413 }));
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(res.body as never);
    body.on('error', () => cap.destroy());
    cap.on('close', () => {
      clearTimeout(timer);
      if (!body.destroyed) body.destroy();
    });
    reply
      .header('content-type', type)
      .header('content-disposition', `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, max-age=3600');
    if (Number.isFinite(length)) reply.header('content-length', String(length));
    return reply.send(body.pipe(cap));
  });
}
