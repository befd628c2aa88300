// One validated configuration, read once at start. A channel is enabled when its credentials are present; a
// partial set stops start-up with a message naming what is missing (SPEC §7). Client channels declare their own
// variables (adapters/<name>/index.ts); this file knows only the service's own and the Slack console's.
import { z } from 'zod';
import { CHANNEL_MODULES } from '../../adapters';
import { enabledChannels } from '../channels/enable';
import type { ChannelModule } from '../channels/module';

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

export type Config = z.infer<typeof schema> & {
  /** Enabled channel modules, in registry order ('slack' also when only the manager console is configured). */
  channels: string[];
  /** The environment channel modules read their variables from. */
  channelEnv: Record<string, string>;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, modules: readonly ChannelModule<any>[] = CHANNEL_MODULES): Config {
  const problems: string[] = [];
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const parsed = schema.safeParse(clean);
  if (!parsed.success) for (const i of parsed.error.issues) problems.push(`${i.path.join('.')}: ${i.message}`);
  const found = enabledChannels(clean, modules);
  problems.push(...found.problems);
  // An optional variable alone (INAPP_CALLBACK_URL without INAPP_SECRET) is a half-configured channel too.
  for (const m of modules) {
    const optional = (m.env.optional ?? []).filter((n) => clean[n]);
    const missing = m.env.required.filter((n) => !clean[n]);
    const switchedOn = (m.env.enabledBy ?? []).some((n) => clean[n]);
    if (optional.length && missing.length === m.env.required.length && !switchedOn)
      problems.push(`${m.name}: ${optional.join(', ')} set but ${missing.join(', ')} missing`);
  }
  const channels = found.enabled.map((e) => e.module.name as string);
  if (problems.length) throw new ConfigError(problems);
  return { ...parsed.data!, channels, channelEnv: clean };
}
