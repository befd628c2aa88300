// The rules behind the outbox and the ticker that are decided in one place: which console notices keep an order,
// how a failing clock's retries space out, and when a lease counts as lost. No database: the store is a stub.
import { ChangeSet } from '../../src/core/changes';
import type { Core } from '../../src/core/context';
import { DEFAULT_DELIVERY, notifyConsole } from '../../src/core/effects';
import { LeaseKeeper, LeaseLost } from '../../src/core/lease';
import type { ConsoleNotice, StoreTx } from '../../src/core/ports';
import { CLOCK_RETRY_MAX_MS, CLOCK_RETRY_MIN_MS, clockRetryMs } from '../../src/core/sla/ticker';
import { FixedClock } from '../support/clock';

describe('console notice ordering', () => {
  const notice = (caseId: string | null): ConsoleNotice => ({ type: caseId ? 'sla_warning' : 'new_client', caseId, caseNumber: null, text: 'x', managerIds: [], toLead: false });
  const keys = (...caseIds: (string | null)[]) => {
    const cs = new ChangeSet();
    for (const id of caseIds) notifyConsole(cs, notice(id), new Date(), DEFAULT_DELIVERY, { timeline: false });
    return cs.inserts.filter((i) => i.table === 'outbox').map((i) => (i.row as { conversationKey: string }).conversationKey);
  };

  it('keeps one case\'s notices in one ordered conversation', () => {
    const [a, b] = keys('case-1', 'case-1');
    expect(a).toBe(b);
    expect(keys('case-2')[0]).not.toBe(a);
  });

  it('queues notices about no case behind nothing', () => {
    const k = keys(null, null, null);
    expect(new Set(k).size).toBe(3);
    expect(k.every((x) => x.startsWith('console:'))).toBe(true);
  });
});

describe('failing clock retries', () => {
  const within = (ms: number, base: number) => {
    expect(ms).toBeGreaterThanOrEqual(base * 0.8);
    expect(ms).toBeLessThanOrEqual(base * 1.2);
  };

  it('start within seconds and wait about as long as the clock has been failing, up to a few minutes', () => {
    within(clockRetryMs(0), CLOCK_RETRY_MIN_MS);
    within(clockRetryMs(40_000), 40_000);
    within(clockRetryMs(3600_000), CLOCK_RETRY_MAX_MS);
    expect(CLOCK_RETRY_MIN_MS).toBeLessThanOrEqual(10_000);
    expect(CLOCK_RETRY_MAX_MS).toBeLessThanOrEqual(10 * 60_000);
  });
});

describe('lease keeper', () => {
  const clock = new FixedClock('2026-11-23T08:00:00Z');
  let answer: (tokens: string[]) => Promise<string[]>;
  const renewed: { tokens: string[]; until: Date }[] = [];
  const tx = {
    renewOutbox: (tokens: string[], until: Date) => {
      renewed.push({ tokens, until });
      return answer(tokens);
    },
  } as unknown as StoreTx;
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const core = { clock, log, delivery: DEFAULT_DELIVERY, store: { tx: (fn: (t: StoreTx) => unknown) => fn(tx), session: () => { throw new Error('unused'); } } } as unknown as Core;
  const keeper = new LeaseKeeper(core, 15_000, 60_000);
  const later = (ms: number) => new Date(clock.now().getTime() + ms);

  it('extends every held lease in one statement, and aborts the send of a lease another instance took over', async () => {
    const mine = keeper.hold('t-mine', later(15_000));
    const taken = keeper.hold('t-taken', later(15_000));
    answer = async () => ['t-mine'];
    await keeper.renew();
    expect(renewed.at(-1)).toEqual({ tokens: ['t-mine', 't-taken'], until: later(15_000) });
    expect(mine.lost).toBe(false);
    expect(taken.lost).toBe(true);
    expect(taken.signal.reason).toBeInstanceOf(LeaseLost);
    keeper.release(mine);
    keeper.release(taken);
  });

  it('keeps a lease through a failed renewal while it still runs, and gives it up once it has run out', async () => {
    const lease = keeper.hold('t-db-down', later(15_000));
    answer = async () => {
      throw new Error('connection refused');
    };
    clock.advance(10_000);
    await keeper.renew();
    expect(lease.lost).toBe(false);
    clock.advance(6_000);
    await keeper.renew();
    expect(lease.lost).toBe(true);
    keeper.release(lease);
  });

  it('does not count a lease released during a renewal as lost', async () => {
    const lease = keeper.hold('t-done', later(15_000));
    answer = async () => {
      keeper.release(lease);
      return [];
    };
    await keeper.renew();
    expect(lease.lost).toBe(false);
  });
});
