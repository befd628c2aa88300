// Telegram doesn't sign webhook bodies; it sends back the secret_token given to setWebhook in this header. Compared
// in constant time (both sides hashed first, so not even the length leaks) before the body is parsed.
import { createHash, timingSafeEqual } from 'node:crypto';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function secretMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || !given) return false;
  return timingSafeEqual(digest(expected), digest(given));
}
