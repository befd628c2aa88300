import { z } from 'zod';

/** "https://app.example.com, http://localhost:5173" → exact origins; anything with a path, or not http(s), is refused. */
const origins = z
  .string()
  .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
  .superRefine((list, ctx) => {
    for (const o of list) {
      let u: URL | null = null;
      try {
        u = new URL(o);
      } catch {
        // reported below
      }
      if (!u || !/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash || u.username || /\/./.test(o.replace(/^\w+:\/\//, '')))
        ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin (scheme://host[:port], e.g. https://app.example.com)` });
    }
  })
  .transform((list) => list.map((o) => new URL(o).origin));

export const inappEnv = z.object({
  INAPP_SECRET: z.string().min(16, 'INAPP_SECRET must be at least 16 characters'),
  INAPP_CALLBACK_URL: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'INAPP_CALLBACK_URL must be an http(s) URL').optional(),
  WIDGET_ORIGINS: origins.optional(),
});
export type InappConfig = z.infer<typeof inappEnv>;
