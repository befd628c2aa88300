// Secrets the channel makes for itself, kept in its durable state (so they move with the database and survive a
// password change): the key that signs file links, and the salt of our Message-IDs — outbox ids restart at 1 in a
// fresh database, and a Message-ID a client's mail client has seen before would be taken for a duplicate.
import { randomBytes } from 'node:crypto';
import type { ChannelState } from '../../src/channels/module';

export interface EmailKeys {
  linkKey: Buffer;
  idSalt: string;
}

const KEY = 'keys';
const REFRESH_MS = 60_000;

/**
 * The stored keys, read again every minute: two instances starting on an empty database may both write keys, and
 * whichever write landed last is what every instance uses within a minute.
 */
export class KeyRing {
  private cached: { keys: EmailKeys; at: number } | null = null;

  constructor(private readonly state: ChannelState) {}

  async current(): Promise<EmailKeys> {
    if (this.cached && Date.now() - this.cached.at < REFRESH_MS) return this.cached.keys;
    return this.refresh();
  }

  async refresh(): Promise<EmailKeys> {
    let stored = await this.state.get<{ linkKey: string; idSalt: string }>(KEY);
    if (!stored) {
      await this.state.set(KEY, { linkKey: randomBytes(32).toString('base64url'), idSalt: randomBytes(9).toString('base64url') });
      stored = (await this.state.get<{ linkKey: string; idSalt: string }>(KEY))!;
    }
    const keys = { linkKey: Buffer.from(stored.linkKey, 'base64url'), idSalt: stored.idSalt };
    this.cached = { keys, at: Date.now() };
    return keys;
  }
}
