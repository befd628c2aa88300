// Channel accounts tied to a client (a Telegram chat, a Teams tenant, a mail domain), and one-time link codes a
// manager sends a client so they tie a chat themselves (`/start <code>`, e.g. through a Telegram deep link).
import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CHANNELS } from '../../core/model';
import * as s from '../../db/schema';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { describeError } from '../../core/errors';
import { idString, parse, uuidParam } from './validate';
import { doc, idParam } from '../docs/route';
import { refuseConsoleChannels } from './people';
import { LinkCode, LinkList } from '../docs/shapes';

const link = z.object({ channel: z.enum(CHANNELS), key: idString() }).meta({ examples: [{ channel: 'telegram', key: '7000000001:-1001234567890' }, { channel: 'slack', key: 'C0123ABCD' }] });
const CODE_HOURS = { default: 7 * 24, max: 30 * 24 };
const codeBody = z.object({ expiresInHours: z.number().int().min(1).max(CODE_HOURS.max).optional() }).meta({ examples: [{ expiresInHours: 48 }, {}] });

export async function linkRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;
  const client = async (id: string) => {
    const [c] = await db.select().from(s.clients).where(eq(s.clients.id, uuidParam(id, 'client')));
    if (!c) throw new HttpError(404, `client ${id} not found`);
    return c;
  };
  const list = async (clientId: string) => ({
    links: (await db.select().from(s.clientLinks).where(eq(s.clientLinks.clientId, clientId)).orderBy(asc(s.clientLinks.createdAt)))
      .map((l) => ({ channel: l.channel, key: l.key, createdAt: l.createdAt.toISOString() })),
  });

  // Keys in the form the channel compares them in (mail addresses and domains in lower case).
  const keyed = <T extends { channel: string; key: string }>(b: T): T => {
    const norm = deps.channels?.find((c) => c.name === b.channel)?.instance.normalizeLinkKey;
    return norm ? { ...b, key: norm(b.key) } : b;
  };

  const tags = ['clients'];
  const params = idParam('client');
  app.get<{ Params: { id: string } }>('/clients/:id/links', { schema: doc({ tags, summary: 'Channel accounts tied to a client', params, ok: LinkList }) }, async (req) => list((await client(req.params.id)).id));

  app.post<{ Params: { id: string } }>('/clients/:id/links', {
    schema: doc({ tags, summary: 'Tie a channel account (a Telegram chat, a Teams tenant, a mail domain…) to a client', description: '201 when added, 200 when it was already there.', params, body: link, ok: LinkList, status: 201, errors: [400, 409] }),
  }, async (req, reply) => {
    const b = keyed(parse(link, req.body));
    const c = await client(req.params.id);
    // The same rule as the client's slackConnectChannelId field: a 'slack' link is a shared channel.
    if (b.channel === 'slack') await refuseConsoleChannels(db, [b.key], 'key');
    const [taken] = await db.select().from(s.clientLinks).where(and(eq(s.clientLinks.channel, b.channel), eq(s.clientLinks.key, b.key)));
    if (taken && taken.clientId !== c.id) throw new HttpError(409, `${b.channel} ${b.key} is linked to another client; unlink it there first`);
    if (!taken) await db.insert(s.clientLinks).values({ channel: b.channel, key: b.key, clientId: c.id }).onConflictDoNothing();
    return reply.code(taken ? 200 : 201).send(await list(c.id));
  });

  app.delete<{ Params: { id: string } }>('/clients/:id/links', { schema: doc({ tags, summary: 'Untie a channel account from a client', params, body: link, ok: LinkList }) }, async (req) => {
    const b = keyed(parse(link, req.body));
    const c = await client(req.params.id);
    await db.delete(s.clientLinks).where(and(eq(s.clientLinks.channel, b.channel), eq(s.clientLinks.key, b.key), eq(s.clientLinks.clientId, c.id)));
    return list(c.id);
  });

  app.post<{ Params: { id: string } }>('/clients/:id/link-codes', {
    schema: doc({ tags, summary: 'A one-time code the client sends from a chat to tie it themselves', params, body: codeBody, ok: LinkCode, status: 201 }),
  }, async (req, reply) => {
    const b = parse(codeBody, req.body ?? {});
    const c = await client(req.params.id);
    // 16 characters of [A-Za-z0-9_-]: what a Telegram start parameter may carry, and unguessable.
    const code = randomBytes(12).toString('base64url');
    const expiresAt = new Date(deps.core.clock.now().getTime() + (b.expiresInHours ?? CODE_HOURS.default) * 3600_000);
    await db.insert(s.linkCodes).values({ code, clientId: c.id, expiresAt });
    // A channel that can't build its link right now (Telegram before it ever reached its API) is left out, not a 500.
    const links: Record<string, string> = {};
    for (const ch of deps.channels ?? []) {
      try {
        if (ch.instance.linkUrl) links[ch.name] = ch.instance.linkUrl(code);
      } catch (err) {
        deps.core.log.warn({ channel: ch.name, err: describeError(err) }, 'no link URL for a link code');
      }
    }
    return reply.code(201).send({ code, clientId: c.id, expiresAt: expiresAt.toISOString(), command: `/start ${code}`, links });
  });
}
