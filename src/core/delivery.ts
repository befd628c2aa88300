// The outbox drainer's decisions: send each claimed row through its channel (or the console), then record success,
// schedule a retry with backoff (honouring a platform's retry-after), or record the failure and tell the console.
import { ChangeSet } from './changes';
import { describeError } from './errors';
import type { Core } from './context';
import { addTimeline, notifyConsole } from './effects';
import { DeliveryError, type ChannelAdapter, type ConsoleNotice, type ManagerConsole, type OutboundMessage } from './ports';
import { composeFor } from './outbound';

export interface OutboxClaim {
  id: number;
  caseId: string | null;
  messageId: string | null;
  target: 'client' | 'console';
  channel: string;
  conversationKey: string;
  address: unknown;
  payload: unknown;
  attempts: number;
  deadlineAt: Date;
  /** The lease this claim holds; finishing checks it is still ours. */
  leaseUntil: Date;
}

export interface Deliverers {
  channels: Map<string, ChannelAdapter>;
  console: ManagerConsole;
}

export interface DrainStats {
  sent: number;
  retried: number;
  failed: number;
}

export function backoffMs(attempt: number, base: number, max: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

export async function drainOutbox(core: Core, deliverers: Deliverers, opts: { limit: number; leaseMs: number }): Promise<DrainStats> {
  const stats: DrainStats = { sent: 0, retried: 0, failed: 0 };
  const claims = await core.store.tx((tx) => tx.claimOutbox(core.clock.now(), opts.limit, opts.leaseMs));
  await Promise.all(claims.map((c) => deliverOne(core, deliverers, c, opts.leaseMs, stats)));
  return stats;
}

async function deliverOne(core: Core, d: Deliverers, claim: OutboxClaim, leaseMs: number, stats: DrainStats): Promise<void> {
  const key = `outbox-${claim.id}`;
  let externalIds: string[] = [];
  try {
    const signal = AbortSignal.timeout(Math.max(1000, leaseMs - 1000));
    if (claim.target === 'console') {
      await d.console.deliver(claim.payload as ConsoleNotice, { idempotencyKey: key });
    } else {
      const adapter = d.channels.get(claim.channel);
      if (!adapter) throw new DeliveryError(`channel ${claim.channel} is not configured`, true);
      for (const [i, part] of composeFor(claim.payload as OutboundMessage, adapter.capabilities).entries()) {
        const res = await adapter.send(claim.address, part, { idempotencyKey: i ? `${key}-${i}` : key, signal });
        externalIds = externalIds.concat(res.externalIds);
      }
    }
  } catch (err) {
    return failed(core, claim, err, stats);
  }
  stats.sent++;
  await core.store.tx(async (tx) => {
    const now = core.clock.now();
    if (!(await tx.finishOutbox(claim.id, claim.leaseUntil, { status: 'sent', sentAt: now, externalIds, attempts: claim.attempts + 1, lastError: null }))) return;
    const cs = new ChangeSet();
    // Remember our own platform ids so the echo of this send is recognised, even after a restart.
    if (claim.messageId)
      for (const id of externalIds)
        cs.insert('messagePlatformIds', { messageId: claim.messageId, channel: claim.channel, scope: claim.conversationKey, externalId: id, direction: 'outbound' });
    // A manager's words reaching the client are confirmed where the manager wrote them (SPEC §5).
    const msg = claim.payload as OutboundMessage;
    if (claim.target === 'client' && claim.caseId && msg.author)
      notifyConsole(cs, {
        type: 'reply_delivered', caseId: claim.caseId, caseNumber: msg.caseNumber ?? null, messageId: claim.messageId, toLead: false, managerIds: [],
        text: `${msg.author.name}'s ${msg.kind === 'reply' ? 'reply' : msg.kind} was delivered on ${claim.channel}.`,
      }, now, core.delivery, { timeline: false });
    await tx.apply(cs);
  });
}

async function failed(core: Core, claim: OutboxClaim, err: unknown, stats: DrainStats): Promise<void> {
  const now = core.clock.now();
  const retryable = err instanceof DeliveryError ? err.retryable : true;
  const reason = describeError(err);
  const attempts = claim.attempts + 1;
  const wait = Math.max(
    backoffMs(attempts, core.delivery.retryBaseMs, core.delivery.retryMaxMs),
    err instanceof DeliveryError && err.retryAfterMs ? err.retryAfterMs : 0,
  );
  const next = new Date(now.getTime() + wait);
  if (retryable && next.getTime() < claim.deadlineAt.getTime()) {
    stats.retried++;
    core.log.warn({ outboxId: claim.id, channel: claim.channel, attempts, retryInMs: wait, err: reason }, 'delivery failed; will retry');
    await core.store.tx((tx) => tx.finishOutbox(claim.id, claim.leaseUntil, { status: 'pending', attempts, nextAttemptAt: next, lastError: reason }));
    return;
  }
  stats.failed++;
  const status = retryable ? 'expired' : 'failed';
  core.log.error({ outboxId: claim.id, channel: claim.channel, attempts, status, err: reason }, 'delivery given up');
  await core.store.tx(async (tx) => {
    if (!(await tx.finishOutbox(claim.id, claim.leaseUntil, { status, attempts, lastError: reason }))) return;
    if (!claim.caseId) return;
    const cs = new ChangeSet();
    const why = retryable ? `still failing at its deadline after ${attempts} attempts: ${reason}` : reason;
    addTimeline(cs, claim.caseId, now, 'delivery_failed', 'system', why, { outboxId: claim.id, target: claim.target, channel: claim.channel, messageId: claim.messageId });
    // A failed console notice can't be reported through the console; the timeline and the error log keep it.
    if (claim.target === 'client') {
      const agg = await tx.loadCase({ id: claim.caseId }, { lock: false });
      notifyConsole(cs, {
        type: 'delivery_failed', caseId: claim.caseId, caseNumber: agg?.case.number ?? null, messageId: claim.messageId, toLead: false,
        managerIds: agg?.case.managerId ? [agg.case.managerId] : [],
        text: `Delivery to the client on ${claim.channel} failed for case #${agg?.case.number ?? '?'}: ${why}`,
      }, now, core.delivery);
    }
    await tx.apply(cs);
  });
}
