// Group commit for the ingest hot path. Concurrent webhooks each end in one statement that appends a message (and its
// platform id and console notice) under a version check of its case. Written one by one, every message pays a whole
// statement and a commit: executor start-up for each CTE, a snapshot, a commit record and a WAL flush, a round trip.
// Here the appends that arrive while earlier batches are being written wait for the next batch, and a batch is one
// statement: one commit for all of them. When nothing is in flight a lone message goes at once, so an idle service
// adds no latency; under load batches grow by themselves.
//
// Only plain appends are batched: inserts, share-guards on cases and the configuration check — no updates, so two
// members can't write one row. A batch that fails (a guard saw its case move, a unique key was taken) is retried
// member by member, so each gets its own answer: ok, or the conflict that makes its caller re-read.
import { ChangeSet } from '../core/changes';
import { changeSetSql, type RawQuery } from './raw';

interface Member {
  cs: ChangeSet;
  resolve(): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions {
  /** Batches being written at once (each on a pooled connection). */
  maxInFlight: number;
  /** Most appends in one statement. */
  maxBatch: number;
  /** Told of every batch written: its size, and whether it failed whole and was retried member by member. */
  onBatch?: (size: number, retried: boolean) => void;
}

/** A change set only appends: it inserts, and guards cases without updating them. */
export function isPlainAppend(cs: ChangeSet): boolean {
  return cs.updates.length === 0 && cs.upserts.length === 0 && cs.inserts.length > 0;
}

export class GroupCommitter {
  private readonly queue: Member[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (exec: (q: RawQuery) => Promise<void>) => Promise<void>,
    opts: Partial<GroupCommitOptions> = {},
  ) {
    this.opts = { maxInFlight: 2, maxBatch: 64, ...opts };
  }
  private readonly opts: GroupCommitOptions;

  /** Resolves once `cs` is committed; rejects with the statement's error when it (alone) could not be. */
  submit(cs: ChangeSet): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ cs, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length) {
      const batch = this.take();
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.kick();
      });
    }
  }

  /** The next batch: members that checked the same configuration counter (a batch checks one value). */
  private take(): Member[] {
    const config = this.queue[0].cs.configVersion;
    const batch: Member[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.opts.maxBatch; ) {
      if (this.queue[i].cs.configVersion === config) batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    return batch;
  }

  private async write(batch: Member[]): Promise<void> {
    try {
      await this.exec(merge(batch.map((m) => m.cs)));
      this.opts.onBatch?.(batch.length, false);
      for (const m of batch) m.resolve();
    } catch (err) {
      this.opts.onBatch?.(batch.length, batch.length > 1);
      if (batch.length === 1) return batch[0].reject(err);
      // Somebody's guard or key failed: find out whose, each on its own.
      await Promise.all(batch.map((m) => this.exec(m.cs).then(m.resolve, m.reject)));
    }
  }

  private exec(cs: ChangeSet): Promise<void> {
    const st = changeSetSql(cs);
    if (!st) return Promise.resolve();
    return this.run(async (query) => void (await query(st.text, st.params, st.name)));
  }
}

/** One change set holding every member's rows, in order, and each distinct case guard once. */
function merge(sets: ChangeSet[]): ChangeSet {
  if (sets.length === 1) return sets[0];
  const merged = new ChangeSet();
  merged.configVersion = sets[0].configVersion;
  const guarded = new Set<string>();
  for (const cs of sets) {
    for (const ins of cs.inserts) merged.insert(ins.table, ins.row as never);
    for (const g of cs.guards) {
      const key = `${g.id}:${g.version}`;
      if (!guarded.has(key)) {
        guarded.add(key);
        merged.guard(g.table, g.id, g.version);
      }
    }
  }
  return merged;
}
