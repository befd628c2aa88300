// One attempt at one claimed outbox row: send it through its channel (or the console) under a deadline, then record
// success, schedule a retry with backoff (honouring a platform's retry-after), or record the failure and tell the
// console. Nothing escapes from here: whatever goes wrong with one row is recorded on that row (and its case) and
// never stops the rows sent beside it.
import { backoffMs } from './backoff';
import { ChangeSet } from './changes';
import type { Core } from './context';
import type { Deliverers, JobObserver, OutboxClaim } from './delivery';
import { describeError } from './errors';
import { addTimeline, notifyConsole } from './effects';
import { LeaseLost, type Lease } from './lease';
import { DeliveryError, type ConsoleNotice, type OutboundMessage } from './ports';
import { composeFor } from './outbound';

export type Outcome = 'sent' | 'retried' | 'failed' | 'expired' | 'lost';

export interface AttemptContext {
  core: Core;
  deliverers: Deliverers;
  observer: JobObserver;
}

export async function deliverClaim(ctx: AttemptContext, claim: OutboxClaim, lease: Lease): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await attempt(ctx, claim, lease);
  } catch (err) {
    // Recording the outcome threw (a send's own failures are handled inside): set the row aside like any failure.
    outcome = await failed(ctx, claim, lease, err).catch((again) => {
      ctx.core.log.error({ outboxId: claim.id, caseId: claim.caseId, caseNumber: caseNumberOf(claim), err: describeError(again) }, 'could not record a delivery outcome');
      // The lease is released unrenewed, so the row is claimed again once it runs out.
      return 'retried' as const;
    });
  }
  ctx.observer.delivery?.(claim.target, outcome);
  return outcome;
}

async function attempt(ctx: AttemptContext, claim: OutboxClaim, lease: Lease): Promise<Outcome> {
  const { core, deliverers: d } = ctx;
  const key = `outbox-${claim.id}`;
  const externalIds = [...claim.externalIds];
  // Where the platform says its ids live (the scope inbound messages name them in), so an echo is recognised.
  let scope = claim.conversationKey;
  const steps = stepLog(core, claim, lease);
  let signal: AbortSignal | undefined;
  try {
    if (claim.target === 'console') {
      signal = AbortSignal.any([lease.signal, AbortSignal.timeout(core.delivery.consoleTimeoutMs)]);
      await d.console.deliver(claim.payload as ConsoleNotice, { idempotencyKey: key, signal, steps: { has: steps.has, done: (s) => steps.done(s, []) } });
    } else {
      const adapter = d.channels.get(claim.channel);
      if (!adapter) throw new DeliveryError(`channel ${claim.channel} is not configured`, true);
      const parts = composeFor(claim.payload as OutboundMessage, adapter.capabilities);
      for (const [i, part] of parts.entries()) {
        if (steps.has(`part:${i}`)) continue;
        signal = AbortSignal.any([lease.signal, AbortSignal.timeout(core.delivery.sendTimeoutMs)]);
        const res = await adapter.send(claim.address, part, { idempotencyKey: i ? `${key}-${i}` : key, signal });
        // A message split in parts: a retry sends only the parts that did not go out.
        if (parts.length > 1) await steps.done(`part:${i}`, res.externalIds);
        externalIds.push(...res.externalIds);
        if (res.scope) scope = res.scope;
      }
    }
  } catch (err) {
    if (lease.lost) return lost(core, claim, lease);
    // Out of time is a slow platform, not a defect: retried like an outage.
    const limit = claim.target === 'console' ? core.delivery.consoleTimeoutMs : core.delivery.sendTimeoutMs;
    const late = signal?.aborted && !(err instanceof DeliveryError);
    return failed(ctx, claim, lease, late ? new DeliveryError(`no answer within ${limit} ms`, true) : err);
  }
  const recorded = await core.store.tx(async (tx) => {
    const now = core.clock.now();
    if (!(await tx.finishOutbox(claim.id, lease.token, { status: 'sent', sentAt: now, externalIds, attempts: claim.attempts + 1, lastError: null }))) return false;
    const cs = new ChangeSet();
    // Remember our own platform ids so the echo of this send is recognised, even after a restart.
    if (claim.messageId)
      for (const id of externalIds)
        cs.insert('messagePlatformIds', { messageId: claim.messageId, channel: claim.channel, scope, externalId: id, direction: 'outbound' });
    // A manager's words reaching the client are confirmed where the manager wrote them (SPEC §5).
    const msg = claim.payload as OutboundMessage;
    if (claim.target === 'client' && claim.caseId && msg.author)
      notifyConsole(cs, {
        type: 'reply_delivered', caseId: claim.caseId, caseNumber: msg.caseNumber ?? null, messageId: claim.messageId, toLead: false, managerIds: [],
        text: `${msg.author.name}'s ${msg.kind === 'reply' ? 'reply' : msg.kind} was delivered on ${claim.channel}.`,
      }, now, core.delivery, { timeline: false });
    await tx.apply(cs);
    return true;
  });
  return recorded ? 'sent' : lost(core, claim, lease);
}

/** Client messages and console notices both name their case's number, for log lines about the case. */
const caseNumberOf = (claim: OutboxClaim) => (claim.payload as { caseNumber?: number | null } | null)?.caseNumber ?? null;

function stepLog(core: Core, claim: OutboxClaim, lease: Lease) {
  const done = new Set(claim.stepsDone);
  return {
    has: (step: string) => done.has(step),
    async done(step: string, externalIds: string[]): Promise<void> {
      if (!(await core.store.tx((tx) => tx.recordOutboxStep(claim.id, lease.token, step, externalIds)))) {
        lease.lose('another instance took over the delivery');
        throw new LeaseLost('another instance took over the delivery');
      }
      done.add(step);
    },
  };
}

function lost(core: Core, claim: OutboxClaim, lease: Lease): Outcome {
  // The row is another sender's now; whatever it records stands. Only a send in flight at this moment can repeat.
  core.log.warn({ outboxId: claim.id, caseNumber: caseNumberOf(claim), channel: claim.channel, err: describeError(lease.signal.reason ?? 'lease lost') }, 'delivery taken over; its outcome is not recorded here');
  return 'lost';
}

async function failed(ctx: AttemptContext, claim: OutboxClaim, lease: Lease, err: unknown): Promise<Outcome> {
  const { core } = ctx;
  const now = core.clock.now();
  // A DeliveryError is the platform's answer; anything else is a defect in our own code or data, recorded loudly.
  const unexpected = !(err instanceof DeliveryError);
  const retryable = err instanceof DeliveryError ? err.retryable : true;
  const reason = describeError(err);
  const attempts = claim.attempts + 1;
  const wait = Math.max(
    backoffMs(attempts, core.delivery.retryBaseMs, core.delivery.retryMaxMs),
    err instanceof DeliveryError && err.retryAfterMs ? err.retryAfterMs : 0,
  );
  const next = new Date(now.getTime() + wait);
  const ids = { outboxId: claim.id, caseId: claim.caseId, caseNumber: caseNumberOf(claim), target: claim.target, channel: claim.channel, attempts };
  if (unexpected) ctx.observer.itemError?.('outbox');
  if (retryable && next.getTime() < claim.deadlineAt.getTime()) {
    if (unexpected) core.log.error({ ...ids, retryInMs: wait, err: reason }, 'delivery threw unexpectedly; set aside for a retry');
    else core.log.warn({ ...ids, retryInMs: wait, err: reason }, 'delivery failed; will retry');
    const ok = await core.store.tx(async (tx) => {
      if (!(await tx.finishOutbox(claim.id, lease.token, { status: 'pending', attempts, nextAttemptAt: next, lastError: reason }))) return false;
      // Once per distinct problem, not once per retry.
      if (unexpected && claim.caseId && reason !== claim.lastError) {
        const cs = new ChangeSet();
        addTimeline(cs, claim.caseId, now, 'delivery_error', 'system', reason, { outboxId: claim.id, target: claim.target, channel: claim.channel, retryAt: next.toISOString() });
        await tx.apply(cs);
      }
      return true;
    });
    return ok ? 'retried' : lost(core, claim, lease);
  }
  const status = retryable ? 'expired' : 'failed';
  core.log.error({ ...ids, status, err: reason }, 'delivery given up');
  const ok = await core.store.tx(async (tx) => {
    if (!(await tx.finishOutbox(claim.id, lease.token, { status, attempts, lastError: reason }))) return false;
    if (!claim.caseId) return true;
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
    return true;
  });
  return ok ? status : lost(core, claim, lease);
}
