// TELEGRAM_* environment → the channel's configuration. The bot id is the token's numeric prefix: it scopes every
// id we store (update ids, chats), so it is known without asking Telegram.
import { z } from 'zod';

/** Telegram's own cap for bot downloads through the public Bot API; a local Bot API server allows up to 2 GB. */
export const DEFAULT_FILE_LIMIT_BYTES = 20 * 1024 * 1024;

export interface TelegramConfig {
  botToken: string;
  botId: string;
  webhookSecret: string;
  apiRoot: string;
  fileLimitBytes: number;
}

export const TELEGRAM_REQUIRED = ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'] as const;
export const TELEGRAM_OPTIONAL = ['TELEGRAM_API_ROOT', 'TELEGRAM_FILE_LIMIT_BYTES'] as const;

export const telegramSchema = z
  .object({
    TELEGRAM_BOT_TOKEN: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,}$/, 'TELEGRAM_BOT_TOKEN must be the token BotFather gave, "<digits>:<letters, digits, _ and ->"'),
    // Telegram accepts 1-256 of these characters as secret_token; fewer than 16 would be guessable.
    TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -'),
    TELEGRAM_API_ROOT: z.string().url('TELEGRAM_API_ROOT must be a URL, e.g. https://api.telegram.org').refine((u) => /^https?:\/\//i.test(u), 'TELEGRAM_API_ROOT must be an http(s) URL').optional(),
    TELEGRAM_FILE_LIMIT_BYTES: z.coerce.number().int().positive().max(2000 * 1024 * 1024, 'TELEGRAM_FILE_LIMIT_BYTES must be at most 2 GB').optional(),
  })
  .transform((e): TelegramConfig => ({
    botToken: e.TELEGRAM_BOT_TOKEN,
    botId: e.TELEGRAM_BOT_TOKEN.split(':')[0],
    webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    apiRoot: (e.TELEGRAM_API_ROOT ?? 'https://api.telegram.org').replace(/\/+$/, ''),
    fileLimitBytes: e.TELEGRAM_FILE_LIMIT_BYTES ?? DEFAULT_FILE_LIMIT_BYTES,
  }));
