// One validated configuration, read once at start. A channel is enabled when its credentials are present; a
// partial set stops start-up with a message naming what is missing (SPEC §7).
import { z } from 'zod';

const num = (def: number) => z.coerce.number().int().positive().default(def);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: num(1024 * 1024),
  INAPP_SECRET: z.string().min(16, 'INAPP_SECRET must be at least 16 characters').optional(),
  INAPP_CALLBACK_URL: z.string().url().optional(),
  SLA_TICK_MS: num(1000),
  OUTBOX_POLL_MS: num(500),
  OUTBOX_DEADLINE_MINUTES: num(24 * 60),
  OUTBOX_RETRY_BASE_MS: num(2000),
  OUTBOX_SEND_TIMEOUT_MS: num(10_000),
  DB_POOL_MAX: num(10),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(16).optional(),
  SLACK_API_URL: z.string().url().optional(),
  SLACK_LEAD_CHANNEL: z.string().regex(/^[CG][A-Z0-9]+$/, 'SLACK_LEAD_CHANNEL must be a channel id (C…)').optional(),
});

export type Config = z.infer<typeof schema> & { channels: string[] };

/** Credentials that only make sense together; any one present requires the rest. */
const GROUPS: Record<string, string[]> = {
  inapp: ['INAPP_SECRET'],
  slack: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
  telegram: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'],
  botframework: ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD'],
  email: ['IMAP_HOST', 'IMAP_USER', 'IMAP_PASSWORD', 'SMTP_HOST', 'EMAIL_FROM'],
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(clean);
  if (!parsed.success) for (const i of parsed.error.issues) problems.push(`${i.path.join('.')}: ${i.message}`);
  const channels: string[] = [];
  for (const [channel, names] of Object.entries(GROUPS)) {
    const present = names.filter((n) => clean[n]);
    if (present.length === names.length) channels.push(channel);
    else if (present.length) problems.push(`${channel}: ${present.join(', ')} set but ${names.filter((n) => !clean[n]).join(', ')} missing`);
  }
  if (clean.INAPP_CALLBACK_URL && !clean.INAPP_SECRET) problems.push('inapp: INAPP_CALLBACK_URL set but INAPP_SECRET missing');
  if (problems.length) throw new ConfigError(problems);
  return { ...parsed.data!, channels };
}
