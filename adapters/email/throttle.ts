// The last guard against mail loops, on the adapter's side: at most `limit` automatic mails (acknowledgements,
// notices) to one address per hour, whatever core decided. An auto-responder our loop rules miss would otherwise
// open a case per mail and get an acknowledgement per case. Counted in the channel's durable state (shared by every
// instance) for sends that went out; on one instance the check, the send and the count for an address take turns,
// so a burst of queued acknowledgements can't all pass the check at once (across instances, at most one extra each).
import type { ChannelState } from '../../src/channels/module';
import { sha256 } from './address';

const HOUR = 3600_000;

export class AutoReplyThrottle {
  constructor(
    private readonly state: ChannelState,
    readonly limit: number,
    private readonly now: () => Date,
  ) {}

  private key(address: string) {
    // Hashed: the state table is no place for client addresses.
    return `auto-replies:${sha256(address.toLowerCase()).slice(0, 32)}`;
  }

  private async recent(address: string): Promise<number[]> {
    const since = this.now().getTime() - HOUR;
    return ((await this.state.get<number[]>(this.key(address))) ?? []).filter((t) => t > since);
  }

  private readonly turns = new Map<string, Promise<unknown>>();

  /** Runs `fn` after the automatic sends to the same address before it on this instance. */
  async exclusive<T>(address: string, fn: () => Promise<T>): Promise<T> {
    const key = address.toLowerCase();
    const before = this.turns.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(fn);
    this.turns.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.turns.get(key) === mine) this.turns.delete(key);
    }
  }

  async allows(address: string): Promise<boolean> {
    return (await this.recent(address)).length < this.limit;
  }

  async record(address: string): Promise<void> {
    await this.state.set(this.key(address), [...(await this.recent(address)), this.now().getTime()]);
  }
}
