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

/** The stored keys: the first instance to start on a database creates them, every other one reads those. */
export class KeyRing {
  private cached: EmailKeys | null = null;

  constructor(private readonly state: ChannelState) {}

  async current(): Promise<EmailKeys> {
    if (this.cached) return this.cached;
    const stored = await this.state.init(KEY, { linkKey: randomBytes(32).toString('base64url'), idSalt: randomBytes(9).toString('base64url') });
    this.cached = { linkKey: Buffer.from(stored.linkKey, 'base64url'), idSalt: stored.idSalt };
    return this.cached;
  }
}
