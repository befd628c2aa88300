// CORS for the widget API: exact origins from WIDGET_ORIGINS, and the service's own pages. A browser request from
// any other origin is refused outright (403) rather than answered without CORS headers, so a misconfiguration shows
// up as a clear error in the vendor's console instead of as an opaque network failure. Requests without an Origin
// (the vendor's servers, curl) are not browsers' cross-origin calls; the token alone decides for them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../../src/http/errors';

export function widgetCors(allowed: readonly string[]) {
  const origins = new Set(allowed);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined) return;
    if (!origins.has(origin) && origin !== `${req.protocol}://${req.host}`)
      throw new HttpError(403, `origin ${origin.slice(0, 200)} may not use the widget API (add it to WIDGET_ORIGINS)`);
    reply.header('access-control-allow-origin', origin);
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST');
      reply.header('access-control-allow-headers', 'authorization, content-type, last-event-id');
      reply.header('access-control-max-age', '600');
    }
  };
}
