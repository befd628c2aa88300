import { z } from 'zod';

export const inappEnv = z.object({
  INAPP_SECRET: z.string().min(16, 'INAPP_SECRET must be at least 16 characters'),
  INAPP_CALLBACK_URL: z.string().url().refine((u) => /^https?:\/\//i.test(u), 'INAPP_CALLBACK_URL must be an http(s) URL').optional(),
});
export type InappConfig = z.infer<typeof inappEnv>;
