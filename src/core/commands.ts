// Manager commands (SPEC §5) as plain functions: the admin API, Slack and any later console call these.
import { randomUUID } from 'node:crypto';
import { ChangeSet } from './changes';
import { formatForClient } from './compose';
import type { Core } from './context';
import { addTimeline, destinationOf, notifyConsole, recordDelivered, sendToClient } from './effects';
import { describeError } from './errors';
import { isUrgency, type Urgency } from './model';
import type { StoreTx } from './ports';
import type { Attachment, CaseAggregate, CaseRow, ManagerRow } from './records';
import { managerIsWorking, route } from './routing';
import { cancelClock, startDeadlineClock, stopClock, recomputeClock } from './sla/clocks';
import { MAX_AHEAD_DAYS, tooFarAhead } from './when';

export class CommandError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export type CaseRef = { id?: string; number?: number };
export interface Actor {
  managerId: string | null;
  /** Shown in the timeline when no manager record acts (e.g. the admin token). */
  label?: string;
  /** Where the manager wrote it (a Slack message), kept so the console can confirm delivery on that message. */
  origin?: { channel: string; scope: string; externalId: string };
  /** The platform delivery that carried the command: recorded in the command's transaction, so a redelivery is a no-op. */
  delivery?: { channel: string; scope: string; id: string };
}

export class DuplicateDelivery extends CommandError {
  constructor() {
    super('conflict', 'this delivery was handled already');
  }
}

function recordOrigin(cs: ChangeSet, actor: Actor, messageId: string) {
  if (actor.origin)
    cs.insert('messagePlatformIds', { messageId, channel: actor.origin.channel, scope: actor.origin.scope, externalId: actor.origin.externalId, direction: 'inbound' });
}

/** Runs a command on a row-locked case; the console is told the case changed so it can refresh its views. */
async function onCase<T>(
  core: Core, ref: CaseRef, what: string, fn: (tx: StoreTx, agg: CaseAggregate, cs: ChangeSet, now: Date) => Promise<T> | T, actor?: Actor,
): Promise<T> {
  return core.store.tx(async (tx) => {
    if (actor?.delivery && !(await tx.recordDelivery(actor.delivery, core.clock.now()))) throw new DuplicateDelivery();
    const agg = await tx.loadCase(ref);
    if (!agg) throw new CommandError('not_found', `case ${ref.number ? `#${ref.number}` : ref.id} not found`);
    const cs = new ChangeSet();
    const now = core.clock.now();
    const out = await fn(tx, agg, cs, now);
    cs.update('cases', agg.case.id, { updatedAt: now });
    notifyConsole(cs, {
      type: 'case_updated', caseId: agg.case.id, caseNumber: agg.case.number, toLead: false,
      managerIds: agg.case.managerId ? [agg.case.managerId] : [], text: `Case #${agg.case.number}: ${what}.`,
    }, now, core.delivery, { timeline: false });
    await tx.apply(cs);
    return out;
  });
}

/** Cancels every clock of the case still running after the caller stopped the ones it meant to (in `cs`). */
export async function cancelRunningClocks(tx: StoreTx, cs: ChangeSet, caseId: string, now: Date, reason: string) {
  const handled = new Set(cs.updates.filter((u) => u.table === 'slaClocks').map((u) => u.id));
  for (const c of await tx.runningClocks(caseId)) if (!handled.has(c.id)) cancelClock(cs, c, now, reason);
}

function pauseEvent(cs: ChangeSet, clock: { id: string; caseId: string }, now: Date) {
  cs.insert('clockEvents', { clockId: clock.id, caseId: clock.caseId, at: now, type: 'paused', reason: 'waiting on the client: no clock runs until they answer', data: {} });
}

async function actorManager(tx: StoreTx, actor: Actor): Promise<ManagerRow | null> {
  if (!actor.managerId) return null;
  const m = await tx.getManager(actor.managerId);
  if (!m) throw new CommandError('not_found', `manager ${actor.managerId} not found`);
  return m;
}
const actorId = (actor: Actor) => (actor.managerId ? `manager:${actor.managerId}` : (actor.label ?? 'admin'));

/** What a manager's message answers: the client's latest message on the case (quoted or threaded where platforms do). */
async function quoted(tx: StoreTx, agg: CaseAggregate) {
  return (await tx.lastClientMessageRef(agg.case.id)) ?? undefined;
}

function requireOpen(agg: CaseAggregate) {
  if (agg.case.status === 'resolved') throw new CommandError('conflict', `case #${agg.case.number} is resolved`);
}

function requireText(text: unknown, what: string): string {
  if (typeof text !== 'string' || !text.trim()) throw new CommandError('invalid', `${what} must be a non-empty string`);
  return text.trim();
}

/** A plain reply: delivered to the client, but (by default) not a response in the SLA sense (SPEC §3). */
/**
 * A plain reply: delivered to the client, but (by default) not a response in the SLA sense (SPEC §3). With
 * `deliveredAs`, the manager wrote it on the client's platform directly (a Slack Connect thread): it is recorded under
 * the same rules, with that platform id (so its echo is known), and not sent again.
 */
export function reply(
  core: Core, ref: CaseRef, actor: Actor, text: string, attachments: Attachment[] = [],
  opts: { deliveredAs?: { scope: string; externalId: string } } = {},
) {
  return onCase(core, ref, 'reply sent', async (tx, agg, cs, now) => {
    const body = requireText(text, 'text');
    const m = await actorManager(tx, actor);
    const out = {
      kind: 'reply' as const, text: body, caseNumber: agg.case.number, author: m ? { name: m.name, managerId: m.id } : undefined, attachments,
      replyTo: await quoted(tx, agg),
    };
    const msg = opts.deliveredAs
      ? recordDelivered(cs, destinationOf(agg.case), out, now, m?.id ?? null, opts.deliveredAs)
      : sendToClient(cs, destinationOf(agg.case), out, now, core.delivery, m?.id ?? null);
    recordOrigin(cs, actor, msg.id);
    addTimeline(cs, agg.case.id, now, 'reply', actorId(actor), opts.deliveredAs ? `written on ${agg.case.channel} directly` : '', { messageId: msg.id });
    if (opts.deliveredAs)
      notifyConsole(cs, {
        type: 'manager_reply', caseId: agg.case.id, caseNumber: agg.case.number, messageId: msg.id, toLead: false, managerIds: [],
        text: `${m?.name ?? 'A manager'} answered on ${agg.case.channel} directly.`,
      }, now, core.delivery, { timeline: false });
    if (agg.policy.plainReplyCounts && agg.responseClock) stopClock(cs, agg.responseClock, now, 'manager replied (policy counts plain replies)');
    return { messageId: msg.id };
  }, actor);
}

export function note(core: Core, ref: CaseRef, actor: Actor, text: string) {
  return onCase(core, ref, 'internal note added', async (tx, agg, cs, now) => {
    const body = requireText(text, 'text');
    const m = await actorManager(tx, actor);
    const msg = cs.insert('messages', {
      id: randomUUID(), caseId: agg.case.id, direction: 'note', authorKind: 'manager', contactId: null, managerId: m?.id ?? null,
      kind: 'note', text: body, attachments: [], isAutomated: false, channel: 'console', conversationKey: agg.case.conversationKey, createdAt: now,
    });
    recordOrigin(cs, actor, msg.id);
    addTimeline(cs, agg.case.id, now, 'note', actorId(actor), '', { messageId: msg.id });
    return { messageId: msg.id };
  }, actor);
}

export function setUrgency(core: Core, ref: CaseRef, actor: Actor, level: string, reason = '') {
  return onCase(core, ref, 'urgency changed', async (tx, agg, cs, now) => {
    if (!isUrgency(level)) throw new CommandError('invalid', `urgency must be one of critical, high, medium, low, informational, feature`);
    await actorManager(tx, actor);
    const from = agg.case.urgency;
    cs.update('cases', agg.case.id, { urgency: level, urgencySource: 'manager' });
    addTimeline(cs, agg.case.id, now, 'urgency_set', actorId(actor), reason || 'set by the manager', { urgency: level, from, source: 'manager' });
    if (agg.responseClock)
      recomputeClock(cs, agg.responseClock, { urgency: level, policy: agg.policy, calendar: agg.calendar, now, reason: `urgency ${from} → ${level}${reason ? `: ${reason}` : ''}` });
    return { urgency: level as Urgency, dueAt: agg.responseClock?.dueAt ?? null };
  });
}

/** An ETA is a response and a commitment: it stops the response clock and starts an ETA clock (SPEC §3). */
export function postEta(core: Core, ref: CaseRef, actor: Actor, dueAt: Date, noteText = '') {
  return onCase(core, ref, 'ETA posted', async (tx, agg, cs, now) => {
    requireOpen(agg);
    if (!(dueAt instanceof Date) || isNaN(dueAt.getTime())) throw new CommandError('invalid', 'the ETA must be a valid time');
    if (dueAt.getTime() <= now.getTime()) throw new CommandError('invalid', 'the ETA must be in the future');
    if (tooFarAhead(dueAt, now, 'eta')) throw new CommandError('invalid', `the ETA must be within ${MAX_AHEAD_DAYS.eta} days`);
    const m = await actorManager(tx, actor);
    const kase = agg.case;
    if (agg.eta) {
      cs.update('etas', agg.eta.id, { state: 'superseded', closedAt: now });
      if (agg.etaClock) cancelClock(cs, agg.etaClock, now, `superseded by ETA revision ${agg.lastEtaRevision + 1}`);
    }
    const eta = cs.insert('etas', {
      id: randomUUID(), caseId: kase.id, revision: agg.lastEtaRevision + 1, dueAt, postedAt: now, managerId: m?.id ?? null,
      note: noteText, state: 'standing', closedAt: null,
    });
    startDeadlineClock(cs, { caseId: kase.id, kind: 'eta', urgency: kase.urgency, dueAt, now, reason: `ETA revision ${eta.revision} posted`, etaId: eta.id });
    const sla = agg.responseClock ? stopClock(cs, agg.responseClock, now, 'ETA posted') : null;
    cs.update('cases', kase.id, { etaAt: dueAt, status: 'open' });
    const when = formatForClient(dueAt, agg.calendar, agg.contact?.timeZone);
    const text = `${agg.eta ? 'Updated ETA' : 'ETA'} for case #${kase.number}: ${when}.${noteText ? `\n${noteText}` : ''}`;
    const msg = sendToClient(cs, destinationOf(kase), { kind: 'eta', text, caseNumber: kase.number, author: m ? { name: m.name, managerId: m.id } : undefined, replyTo: await quoted(tx, agg) }, now, core.delivery, m?.id ?? null);
    addTimeline(cs, kase.id, now, 'eta_posted', actorId(actor), noteText, { revision: eta.revision, dueAt: dueAt.toISOString(), messageId: msg.id, sla });
    return { revision: eta.revision, dueAt, sla };
  });
}

/** SPEC §3: an explicit request for details is a response and pauses the case until the client answers. */
export function askForDetails(core: Core, ref: CaseRef, actor: Actor, question: string) {
  return onCase(core, ref, 'details requested', async (tx, agg, cs, now) => {
    requireOpen(agg);
    const body = requireText(question, 'question');
    const m = await actorManager(tx, actor);
    const sla = agg.responseClock ? stopClock(cs, agg.responseClock, now, 'details requested from the client') : null;
    const paused = agg.responseClock ?? agg.etaClock;
    if (paused) pauseEvent(cs, paused, now);
    // While the case waits on the client no clock runs (SPEC §3): a standing ETA is withdrawn, to be posted anew
    // once the details are in.
    if (agg.eta) {
      cs.update('etas', agg.eta.id, { state: 'superseded', closedAt: now });
      if (agg.etaClock) cancelClock(cs, agg.etaClock, now, 'details requested from the client');
    }
    cs.update('cases', agg.case.id, { status: 'waiting_on_client', etaAt: null });
    const msg = sendToClient(cs, destinationOf(agg.case), {
      kind: 'needinfo', text: body, caseNumber: agg.case.number, author: m ? { name: m.name, managerId: m.id } : undefined, replyTo: await quoted(tx, agg),
    }, now, core.delivery, m?.id ?? null);
    addTimeline(cs, agg.case.id, now, 'waiting_on_client', actorId(actor), 'details requested', { messageId: msg.id, sla });
    return { sla };
  });
}

export function resolve(core: Core, ref: CaseRef, actor: Actor, summary = '') {
  return onCase(core, ref, 'resolved', async (tx, agg, cs, now) => {
    requireOpen(agg);
    const m = await actorManager(tx, actor);
    const kase = agg.case;
    const sla = agg.responseClock ? stopClock(cs, agg.responseClock, now, 'case resolved') : null;
    if (agg.eta && agg.etaClock) {
      const etaState = stopClock(cs, agg.etaClock, now, 'case resolved');
      cs.update('etas', agg.eta.id, { state: etaState, closedAt: now });
    } else if (agg.eta) cs.update('etas', agg.eta.id, { closedAt: now });
    for (const ms of await tx.openMilestones(kase.id)) cs.update('milestones', ms.id, { doneAt: now });
    // Nothing keeps ticking on a resolved case (milestones included).
    await cancelRunningClocks(tx, cs, kase.id, now, 'case resolved');
    cs.update('cases', kase.id, { status: 'resolved', resolvedAt: now });
    const text = `Case #${kase.number} is resolved.${summary ? `\n${summary}` : ''}\nIf anything is still wrong, just reply here within ${agg.policy.reopenDays} days and we will reopen it.`;
    const msg = sendToClient(cs, destinationOf(kase), {
      kind: 'resolution', text, caseNumber: kase.number, author: m ? { name: m.name, managerId: m.id } : undefined, replyTo: await quoted(tx, agg),
    }, now, core.delivery, m?.id ?? null);
    addTimeline(cs, kase.id, now, 'resolved', actorId(actor), summary, { messageId: msg.id, sla });
    return { sla };
  });
}

export function escalate(core: Core, ref: CaseRef, actor: Actor, reason: string) {
  return onCase(core, ref, 'escalated', async (tx, agg, cs, now) => {
    const why = requireText(reason, 'reason');
    const m = await actorManager(tx, actor);
    addTimeline(cs, agg.case.id, now, 'escalated', actorId(actor), why);
    notifyConsole(cs, {
      type: 'escalation', caseId: agg.case.id, caseNumber: agg.case.number, toLead: true,
      managerIds: [agg.case.managerId, agg.client.backupManagerId].filter((x): x is string => !!x),
      text: `Case #${agg.case.number} (${agg.client.name}, ${agg.case.urgency}) escalated${m ? ` by ${m.name}` : ''}: ${why}`,
    }, now, core.delivery);
    return { escalated: true };
  });
}

/**
 * SPEC §4: an away manager's open cases move to each client's backup (clients are told who covers); on return
 * they come back. New cases are routed by `route()` from the stored status.
 */
export async function setManagerStatus(core: Core, managerId: string, status: 'away' | 'active') {
  return core.store.tx(async (tx) => {
    const m = await tx.getManager(managerId);
    if (!m) throw new CommandError('not_found', `manager ${managerId} not found`);
    const now = core.clock.now();
    const cs = new ChangeSet();
    cs.update('managers', m.id, { status });
    let moved = 0;
    if (status === 'away') {
      // The same cover rule as for a new case (backup, or on-call for critical), from route() itself.
      const managers = (await tx.listManagers()).map((x) => (x.id === m.id ? { ...x, status: 'away' } : x));
      for (const agg of await casesHeldBy(tx, m.id)) {
        const r = route({ ...agg.client, managerId: m.id }, managers, agg.case.urgency as Urgency, agg.calendar, now);
        const cover = r.manager && r.manager.id !== m.id ? r.manager : null;
        if (!cover) continue;
        moved++;
        cs.update('cases', agg.case.id, { managerId: cover.id, coveringForManagerId: m.id, updatedAt: now });
        addTimeline(cs, agg.case.id, now, 'assigned', `manager:${m.id}`, `${m.name} is away; ${cover.name} covers`, { managerId: cover.id, coveringFor: m.id });
        sendToClient(cs, destinationOf(agg.case), { kind: 'notice', caseNumber: agg.case.number, text: `${m.name} is away; ${cover.name} is covering case #${agg.case.number}.` }, now, core.delivery);
        notifyConsole(cs, { type: 'case_reassigned', caseId: agg.case.id, caseNumber: agg.case.number, toLead: false, managerIds: [cover.id], text: `You cover case #${agg.case.number} while ${m.name} is away.` }, now, core.delivery);
      }
    } else moved = await handBack(tx, cs, core, m, now, 'wait');
    await tx.apply(cs);
    return { status, casesMoved: moved };
  });
}

/** Cases covered for `m` go back to them, and each client is told. */
async function handBack(tx: StoreTx, cs: ChangeSet, core: Core, m: ManagerRow, now: Date, lock: 'wait' | 'skip'): Promise<number> {
  let moved = 0;
  for (const c of await tx.casesCoveredFor(m.id, lock)) {
    moved++;
    cs.update('cases', c.id, { managerId: m.id, coveringForManagerId: null, updatedAt: now });
    addTimeline(cs, c.id, now, 'assigned', `manager:${m.id}`, `${m.name} is back`, { managerId: m.id });
    sendToClient(cs, destinationOf(c), { kind: 'notice', caseNumber: c.number, text: `${m.name} is back and takes case #${c.number} again.` }, now, core.delivery);
    notifyConsole(cs, { type: 'case_reassigned', caseId: c.id, caseNumber: c.number, toLead: false, managerIds: [m.id], text: `Case #${c.number} is yours again.` }, now, core.delivery);
  }
  return moved;
}

/**
 * SPEC §4: a critical case covered because its dedicated manager was outside working hours returns to them when
 * their hours begin (cover for an away manager waits for /back). Run periodically by the jobs runner.
 */
export async function returnOffHoursCover(core: Core): Promise<number> {
  let moved = 0;
  const managers = await core.store.tx((tx) => tx.listManagers());
  // One transaction per manager: a manager whose cases can't be handed back (bad data) holds up nobody else's.
  for (const m of managers) {
    if (m.status !== 'active') continue;
    try {
      moved += await core.store.tx(async (tx) => {
        const now = core.clock.now();
        // Every instance runs this each minute: rows another run (or a /back) holds are left to it.
        const covered = await tx.casesCoveredFor(m.id, 'skip');
        if (!covered.length) return 0;
        const client = await tx.getClient(covered[0].clientId);
        const { calendar } = client ? await tx.clientSettings(client) : { calendar: null };
        if (!calendar || !managerIsWorking(m, calendar, now)) return 0;
        const cs = new ChangeSet();
        const n = await handBack(tx, cs, core, m, now, 'skip');
        await tx.apply(cs);
        return n;
      });
    } catch (err) {
      core.log.error({ managerId: m.id, err: describeError(err) }, 'off-hours cover could not be handed back; the next pass tries again');
    }
  }
  return moved;
}

async function casesHeldBy(tx: StoreTx, managerId: string): Promise<CaseAggregate[]> {
  const out: CaseAggregate[] = [];
  for (const c of await tx.openCasesOfManager(managerId)) {
    const agg = await tx.loadCase({ id: c.id });
    if (agg) out.push(agg);
  }
  return out;
}
