// A static asset served from memory with an ETag: pages revalidate instead of downloading it again. Read on first
// use, so a file copied from node_modules costs nothing until someone opens the page that needs it.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function asset(type: string, read: () => string | Buffer) {
  let cached: { body: string | Buffer; etag: string } | null = null;
  return (req: FastifyRequest, reply: FastifyReply) => {
    if (!cached) {
      const body = read();
      cached = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    reply.header('content-type', type).header('cache-control', 'private, no-cache').header('etag', cached.etag);
    if (req.headers['if-none-match'] === cached.etag) return reply.code(304).send();
    return reply.send(cached.body);
  };
}
