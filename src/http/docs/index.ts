// The API reference: an OpenAPI 3.1 document generated from the zod schemas the /api/v1 routes parse() with
// (@fastify/swagger, fastify-type-provider-zod's transform), at /api/docs/openapi.json, and Swagger UI at /api/docs,
// served from node_modules (swagger-ui-dist). Public: it describes the API's shape, which the open-source repository
// publishes anyway, and holds no data; calling the API from the reader still needs the admin token.
import fs from 'node:fs';
import path from 'node:path';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { version } from '../../../package.json';
import { asset } from '../board/asset';
import { doc } from './route';
import { ReadBack } from './shapes';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/** Routes under /api/v1 that other modules register without a schema (a channel's own routes): described here. */
const EXTERNAL: Record<string, ReturnType<typeof doc>> = {
  'GET /api/v1/inapp/accounts/:accountId/messages': {
    ...doc({
      tags: ['in-app read-back'], summary: 'The vendor’s app reads a conversation back',
      description: 'Signed like the webhook (scheme v2, direction "inbound", an empty body): not the admin token. Positions are given in commit order, so a cursor never skips a message that committed late.',
      params: z.object({ accountId: z.string().max(200).meta({ description: 'the client’s in-app account id', examples: ['acme'] }) }),
      querystring: z.object({
        after: z.string().regex(/^\d+$/).optional().meta({ description: 'the seq of the last message you have; default 0' }),
        limit: z.string().regex(/^\d+$/).optional().meta({ description: 'from 1 to 500; default 100' }),
      }),
      ok: ReadBack,
    }),
    security: [{ inappTimestamp: [], inappSignature: [] }],
  },
};

const DESCRIPTION = `The admin REST API of Switchboard (SPEC §7). Every route takes \`Authorization: Bearer <ADMIN_TOKEN>\`.
Bad input is a 400 whose \`error\` names the field and the bound; times are ISO 8601 with an offset.`;

/** Before any route is added: the document is built from the routes as they are registered. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Switchboard admin API', version, description: DESCRIPTION },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
          inappTimestamp: { type: 'apiKey', in: 'header', name: 'X-Switchboard-Timestamp', description: 'unix seconds, within 5 minutes' },
          inappSignature: { type: 'apiKey', in: 'header', name: 'X-Switchboard-Signature', description: 'v2=<hex HMAC-SHA256(INAPP_SECRET, "v2\\ninbound\\nGET\\n" + path with query + "\\n" + timestamp + "\\n")>' },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    // Only the admin API (and what else lives under /api/v1) is documented; webhooks, the board and health are not.
    transform: (input: TransformInput) => {
      const route = (input as { route?: { method?: string | string[] } }).route;
      if (!input.url.startsWith('/api/v1/')) return { schema: { hide: true }, url: input.url };
      const extra = !input.schema || !Object.keys(input.schema).length ? EXTERNAL[`${[route?.method].flat()[0]} ${input.url}`] : undefined;
      return jsonSchemaTransform({ ...input, schema: extra ?? input.schema } as TransformInput);
    },
    transformObject: (input) => withoutUnused(jsonSchemaTransformObject(input) as OpenApiDoc) as ReturnType<typeof jsonSchemaTransformObject>,
  });
}

type OpenApiDoc = { paths?: unknown; components?: { schemas?: Record<string, unknown> } };

/** The transform emits an input and an output component per named schema; only the ones referenced are kept. */
function withoutUnused(document: OpenApiDoc): OpenApiDoc {
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      const name = k === '$ref' && typeof x === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(x)?.[1] : undefined;
      if (name && !used.has(name)) {
        used.add(name);
        walk(schemas[name]);
      } else walk(x);
    }
  };
  walk(document.paths);
  return { ...document, components: { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([k]) => used.has(k))) } };
}

const READER_CSP = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; font-src 'self' data:; script-src 'self'; style-src 'self'; connect-src 'self'";
const READER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API reference</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/api/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/static/swagger-ui-bundle.js"></script>
<script src="/api/docs/static/reader.js"></script>
</body></html>`;
// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
const READER_JS = "window.ui = SwaggerUIBundle({ url: '/api/docs/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, defaultModelsExpandDepth: 0 });\n";
const swaggerUiFile = (name: string) => () => fs.readFileSync(path.join(path.dirname(require.resolve('swagger-ui-dist/package.json')), name));

/** The document, and Swagger UI from our own node_modules: nothing loads from elsewhere. */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/api/docs/openapi.json', hidden, async () => app.swagger());
  app.get('/api/docs', hidden, async (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', READER_CSP).send(READER));
  app.get('/api/docs/static/swagger-ui.css', hidden, asset('text/css; charset=utf-8', swaggerUiFile('swagger-ui.css')));
  app.get('/api/docs/static/swagger-ui-bundle.js', hidden, asset('application/javascript; charset=utf-8', swaggerUiFile('swagger-ui-bundle.js')));
  app.get('/api/docs/static/reader.js', hidden, asset('application/javascript; charset=utf-8', () => READER_JS));
}
