// Open widget streams on this instance, by account: the limits on them, and waking an account's streams when
// something for it was just written here (a widget message taken, a delivery to the account sent) instead of
// waiting for their next poll.
export class StreamLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamLimitError';
  }
}

export interface StreamLimits {
  /** Open streams per account on one instance: a tab per signed-in user, with room for a few. */
  perAccount: number;
  /** Open streams on one instance; each holds a connection and polls the database. */
  total: number;
}

export interface OpenStream {
  wake(): void;
  close(): void;
}

export class StreamHub {
  private readonly byAccount = new Map<string, Set<OpenStream>>();
  private count = 0;

  constructor(readonly limits: StreamLimits) {}

  /** Registers a stream; the returned function unregisters it. Throws StreamLimitError when a limit is reached. */
  join(accountId: string, stream: OpenStream): () => void {
    const set = this.byAccount.get(accountId) ?? new Set<OpenStream>();
    if (set.size >= this.limits.perAccount) throw new StreamLimitError(`too many open streams for this account (at most ${this.limits.perAccount})`);
    if (this.count >= this.limits.total) throw new StreamLimitError(`too many open streams on this instance (at most ${this.limits.total})`);
    set.add(stream);
    this.byAccount.set(accountId, set);
    this.count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      set.delete(stream);
      this.count--;
      if (!set.size) this.byAccount.delete(accountId);
    };
  }

  wake(accountId: string): void {
    for (const s of this.byAccount.get(accountId) ?? []) s.wake();
  }


  /** Ends every stream (the server is stopping: browsers reconnect, to another instance if there is one). */
  closeAll(): void {
    for (const set of [...this.byAccount.values()]) for (const s of [...set]) s.close();
  }
}
