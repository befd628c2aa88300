// One inbound message, written atomically (SPEC §1–§4): dedupe, echo and automation checks, identity → contact →
// client, find / reopen / open the case, store the message, urgency, the response clock, routing, and the
// acknowledgement and console notice queued in the outbox.
import { randomUUID } from 'node:crypto';
import { ChangeSet } from './changes';
import { parseClientCommand, runClientCommand } from './client-actions';
import { ackText } from './compose';
import type { Core } from './context';
import { addTimeline, notifyConsole, sendToClient, storeInbound, type ClientDestination } from './effects';
import { URGENCIES, type Urgency } from './model';
import { ConflictError, type InboundEnvelope, type IntakeContext, type StoreTx } from './ports';
import type { CaseAggregate, CaseRow, ClientRow, ContactRow } from './records';
import { route, type RouteDecision } from './routing';
import { calendarFor, recomputeClock, startResponseClock } from './sla/clocks';
import { triage } from './triage';

export type IngestOutcome =
  | { status: 'duplicate' }
  | { status: 'echo' }
  | { status: 'ignored'; reason: string }
  | { status: 'command'; command: string }
  | { status: 'changed'; change: 'edit' | 'delete'; messageId: string; caseNumber: number | null }
  | { status: 'stored'; caseId: string; caseNumber: number; messageId: string; opened: boolean; reopened: boolean };

const DAY = 24 * 3600_000;

/**
 * Plain messages take the optimistic path: read the context from one snapshot without locks (or reuse the store's
 * remembered one), decide, then write everything — the delivery record included — in one statement that applies
 * only if the case is unchanged. A lost race (the case moved, a unique key was taken) reads again. Commands,
 * automated senders and decisions that would update a row other than the case (recomputing a clock) take the
 * locking transaction instead.
 */
export async function ingest(core: Core, env: InboundEnvelope): Promise<IngestOutcome> {
  if (env.change) return ingestChange(core, env);
  // `/start <code>` ties the sender's chat to a client before anything else reads which client it belongs to.
  const command = parseClientCommand(env.text);
  const linkKey = env.linkKeys?.[0];
  if (command?.name === 'start' && command.arg && linkKey)
    await core.store.tx((tx) => tx.redeemLinkCode(command.arg, env.channel, linkKey, core.clock.now()));
  const optimistic = await core.store.session(async (session) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = core.clock.now();
      const ctx = await session.readIntake(env, now);
      if (ctx.duplicate) return { status: 'duplicate' } as const;
      if (ctx.echo || env.sender.isSelf) return { status: 'echo' } as const;
      if (env.sender.isAutomated) return null;
      const cs = new ChangeSet();
      // When the delivery id is the message's own platform id (the in-app API's `id`), the unique platform-id row
      // written with the message is the dedupe record; a second row would only repeat it.
      if (!env.platformMessageIds.some((p) => p.externalId === env.deliveryId && p.scope === env.deliveryScope))
        cs.insert('inboundDeliveries', { channel: env.channel, scope: env.deliveryScope, deliveryId: env.deliveryId, receivedAt: now });
      // decide() declines (null) what needs a transaction: client commands.
      const outcome = await decide(cs, core, ctx, env, now, null);
      keepCursor(cs, env, now);
      // Only the case row is guarded: a change set that would update another row (recompute a clock) takes the lock.
      if (!outcome || cs.updates.some((u) => u.table !== 'cases')) return null;
      const guarded = ctx.openCase?.case ?? (outcome.status === 'stored' && outcome.reopened ? ctx.lastResolved : null);
      if (guarded?.version !== undefined) cs.guard('cases', guarded.id, guarded.version);
      try {
        await session.commit(cs);
        return outcome;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return null;
  });
  return optimistic ?? ingestLocked(core, env);
}

/** The same decisions inside a transaction that records the delivery and row-locks the case as it reads. */
async function ingestLocked(core: Core, env: InboundEnvelope): Promise<IngestOutcome> {
  return core.store.tx(async (tx) => {
    const now = core.clock.now();
    const ctx = await tx.intakeContext(env, now);
    if (ctx.duplicate) return { status: 'duplicate' } as const;
    if (ctx.echo || env.sender.isSelf) return { status: 'echo' } as const;
    const cs = new ChangeSet();
    const outcome = (await decide(cs, core, ctx, env, now, tx))!;
    keepCursor(cs, env, now);
    await tx.apply(cs);
    return outcome;
  });
}

/** Everything intake decides, written into `cs`. Without a transaction (`tx` null) it declines commands: null. */
async function decide(
  cs: ChangeSet, core: Core, ctx: IntakeContext, env: InboundEnvelope, now: Date, tx: StoreTx | null,
): Promise<IngestOutcome | null> {
  if (env.sender.isAutomated && !ctx.openCase) return { status: 'ignored', reason: 'automated sender and no open case' };
  const { client, contact } = resolveParty(cs, core, ctx, env, now);
  const from: ClientDestination = { caseId: ctx.openCase?.case.id ?? null, channel: env.channel, conversationKey: env.conversationKey, address: env.address };

  const command = env.sender.isAutomated ? null : parseClientCommand(env.text);
  if (command) {
    if (!tx) return null;
    // Kept like any message (transcript, platform ids for redelivery); a command that opens a case moves it there.
    const message = storeInbound(cs, ctx.openCase?.case.id ?? null, contact, env, now, 'command');
    await runClientCommand(core, tx, cs, { command, ctx, client, contact, env, from, now, message });
    return { status: 'command', command: command.name };
  }
  if (ctx.openCase) return appendToCase(cs, core, ctx, ctx.openCase, contact, env, now);
  const number = ctx.newCaseNumber ?? (tx ? await tx.nextCaseNumber() : null);
  if (number === null) return null;
  return openCase(cs, core, ctx, client, contact, env, now, number);
}

/** An edit or deletion of a message we stored: recorded on the case and shown to the manager, never a new message. */
async function ingestChange(core: Core, env: InboundEnvelope): Promise<IngestOutcome> {
  const change = env.change!;
  return core.store.tx(async (tx) => {
    const now = core.clock.now();
    if (!(await tx.recordDelivery({ channel: env.channel, scope: env.deliveryScope, id: env.deliveryId }, now))) return { status: 'duplicate' } as const;
    const found = await tx.messageByPlatformId(env.channel, change.target.scope, change.target.externalId);
    if (!found || found.message.direction !== 'inbound') return { status: 'ignored', reason: `${change.kind} of a message we don't have` } as const;
    const { message } = found;
    const cs = new ChangeSet();
    if (change.kind === 'edit') cs.update('messages', message.id, { text: env.text, attachments: env.attachments.length ? env.attachments : message.attachments });
    if (message.caseId) {
      addTimeline(cs, message.caseId, now, change.kind === 'edit' ? 'message_edited' : 'message_deleted', `contact:${message.contactId}`, '', {
        messageId: message.id, ...(change.kind === 'edit' ? { previousText: message.text } : {}),
      });
      const agg = await tx.loadCase({ id: message.caseId }, { lock: false });
      notifyConsole(cs, {
        type: change.kind === 'edit' ? 'message_edited' : 'message_deleted', caseId: message.caseId, caseNumber: found.caseNumber, messageId: message.id,
        toLead: false, managerIds: agg?.case.managerId ? [agg.case.managerId] : [],
        text: `The client ${change.kind === 'edit' ? 'edited' : 'deleted'} a message on case #${found.caseNumber}.`,
      }, now, core.delivery, { timeline: false });
    }
    keepCursor(cs, env, now);
    await tx.apply(cs);
    return { status: 'changed', change: change.kind, messageId: message.id, caseNumber: found.caseNumber } as const;
  });
}

/** A pull receiver's position moves with the message it read, in the same write. */
function keepCursor(cs: ChangeSet, env: InboundEnvelope, now: Date) {
  if (env.cursor) cs.upsert('channelState', { channel: env.channel, key: env.cursor.key, value: env.cursor.value, updatedAt: now });
}

/** Something a channel's receiver can't attach to a case (a mail it can't parse): told to the support lead. */
export async function alertLead(core: Core, channel: string, text: string): Promise<void> {
  await core.store.tx(async (tx) => {
    const cs = new ChangeSet();
    notifyConsole(cs, { type: 'channel_alert', caseId: null, caseNumber: null, toLead: true, managerIds: [], text: `${channel}: ${text}` }, core.clock.now(), core.delivery);
    await tx.apply(cs);
  });
}

function resolveParty(cs: ChangeSet, core: Core, ctx: IntakeContext, env: InboundEnvelope, now: Date): { client: ClientRow; contact: ContactRow } {
  let client = ctx.client;
  if (!client) {
    // SPEC §8: an unknown account is accepted and becomes a standard-tier client of the default manager.
    const fallback = ctx.managers.find((m) => m.isDefault) ?? null;
    client = cs.insert('clients', {
      id: randomUUID(),
      name: env.accountName || env.account || env.sender.name,
      tier: 'standard',
      managerId: fallback?.id ?? null,
      backupManagerId: null,
      calendarId: null,
      policyId: null,
      inappAccountId: env.clientLink?.inappAccountId ?? null,
      slackChannelId: null,
    });
    notifyConsole(cs, {
      type: 'new_client', caseId: null, caseNumber: null, toLead: true,
      managerIds: fallback ? [fallback.id] : [],
      text: `New client "${client.name}" wrote from ${env.channel}; added as standard tier${fallback ? `, assigned to ${fallback.name}` : ', unassigned'}.`,
    }, now, core.delivery);
    // Found again by its chat / tenant / domain; a second first message racing this one fails on the key and re-reads.
    if (env.linkKeys?.length) cs.insert('clientLinks', { channel: env.channel, key: env.linkKeys[0], clientId: client.id });
  }
  let contact = ctx.contact;
  if (!contact) {
    contact = cs.insert('contacts', {
      id: randomUUID(), clientId: client.id, name: env.sender.name || env.sender.externalId,
      email: env.sender.email ?? null, timeZone: env.sender.timeZone ?? null,
    });
    cs.insert('identities', { id: randomUUID(), contactId: contact.id, channel: env.channel, account: env.account, externalId: env.sender.externalId });
  }
  return { client, contact };
}

function openCase(
  cs: ChangeSet, core: Core, ctx: IntakeContext, client: ClientRow, contact: ContactRow, env: InboundEnvelope, now: Date, number: number,
): IngestOutcome {
  const reopenable =
    ctx.lastResolved?.resolvedAt && now.getTime() - ctx.lastResolved.resolvedAt.getTime() <= ctx.policy.reopenDays * DAY ? ctx.lastResolved : null;
  if (reopenable) return reopenCase(cs, core, ctx, reopenable, client, contact, env, now);

  const t = triage(env.text, env.urgency, ctx.triage);
  const r = route(client, ctx.managers, t.urgency, ctx.calendar, now);
  const kase = cs.insert('cases', {
    id: randomUUID(), number, clientId: client.id, contactId: contact.id, kind: 'support', status: 'open',
    urgency: t.urgency, urgencySource: t.source, managerId: r.manager?.id ?? null, coveringForManagerId: r.coveringFor?.id ?? null,
    channel: env.channel, conversationKey: env.conversationKey, address: env.address, subject: subjectOf(env.text),
    openedAt: now, resolvedAt: null, etaAt: null, updatedAt: now,
  });
  const msg = storeInbound(cs, kase.id, contact, env, now);
  addTimeline(cs, kase.id, now, 'opened', `contact:${contact.id}`, `first message from ${contact.name} on ${env.channel}`, { messageId: msg.id });
  addTimeline(cs, kase.id, now, 'urgency_set', t.source === 'client' ? `contact:${contact.id}` : 'system', t.reason, { urgency: t.urgency, source: t.source });
  addTimeline(cs, kase.id, now, 'assigned', 'system', r.reason, { managerId: r.manager?.id ?? null, coveringFor: r.coveringFor?.id ?? null });

  // Automated senders never get here (decide() ignores them unless a case is open), so every new case gets a clock.
  const clock = startResponseClock(cs, { caseId: kase.id, urgency: t.urgency, policy: ctx.policy, calendar: ctx.calendar, now, reason: 'case opened by a client message' });
  acknowledge(cs, core, ctx, kase, r, clock.dueAt, contact, now, false, env.platformMessageIds[0]);
  notifyConsole(cs, {
    type: 'case_opened', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, toLead: !r.manager,
    managerIds: r.manager ? [r.manager.id] : [],
    text: `New ${t.urgency} case #${kase.number} from ${contact.name} (${client.name}) on ${env.channel}.`,
  }, now, core.delivery);
  return { status: 'stored', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, opened: true, reopened: false };
}

function reopenCase(
  cs: ChangeSet, core: Core, ctx: IntakeContext, kase: CaseRow, client: ClientRow, contact: ContactRow, env: InboundEnvelope, now: Date,
): IngestOutcome {
  // The client's explicit choice applies unless a manager set the urgency (SPEC §2).
  const clientChoice = env.urgency && env.urgency !== kase.urgency && kase.urgencySource !== 'manager' ? env.urgency : null;
  const urgency = (clientChoice ?? kase.urgency) as Urgency;
  const r = route(client, ctx.managers, urgency, ctx.calendar, now);
  const patch = {
    status: 'open', resolvedAt: null, etaAt: null, urgency, urgencySource: clientChoice ? 'client' : kase.urgencySource,
    managerId: r.manager?.id ?? kase.managerId, coveringForManagerId: r.coveringFor?.id ?? null, updatedAt: now,
  };
  const before = kase.urgency;
  Object.assign(kase, patch);
  cs.update('cases', kase.id, patch);
  const msg = storeInbound(cs, kase.id, contact, env, now);
  addTimeline(cs, kase.id, now, 'reopened', `contact:${contact.id}`, `client wrote within ${ctx.policy.reopenDays} days of resolution`, { messageId: msg.id });
  if (clientChoice) addTimeline(cs, kase.id, now, 'urgency_set', `contact:${contact.id}`, 'chosen by the client', { urgency, from: before, source: 'client' });
  const clock = startResponseClock(cs, { caseId: kase.id, urgency, policy: ctx.policy, calendar: ctx.calendar, now, reason: 'case reopened by a client message' });
  acknowledge(cs, core, ctx, kase, r, clock.dueAt, contact, now, true, env.platformMessageIds[0]);
  notifyConsole(cs, {
    type: 'case_opened', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, toLead: false,
    managerIds: r.manager ? [r.manager.id] : [], text: `Case #${kase.number} reopened by ${contact.name} (${client.name}).`,
  }, now, core.delivery);
  return { status: 'stored', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, opened: false, reopened: true };
}

function appendToCase(
  cs: ChangeSet, core: Core, ctx: IntakeContext, agg: CaseAggregate, contact: ContactRow, env: InboundEnvelope, now: Date,
): IngestOutcome {
  const kase = agg.case;
  const msg = storeInbound(cs, kase.id, contact, env, now);
  let clockNote = '';
  if (!env.sender.isAutomated) {
    // The client's explicit choice beats the classifier but never a manager's setting (SPEC §2).
    if (env.urgency && env.urgency !== kase.urgency && kase.urgencySource !== 'manager') {
      cs.update('cases', kase.id, { urgency: env.urgency, urgencySource: 'client', updatedAt: now });
      addTimeline(cs, kase.id, now, 'urgency_set', `contact:${contact.id}`, 'chosen by the client', { urgency: env.urgency, from: kase.urgency, source: 'client' });
      if (agg.responseClock)
        recomputeClock(cs, agg.responseClock, { urgency: env.urgency, policy: ctx.policy, calendar: ctx.calendar, now, reason: `client set urgency ${env.urgency}` });
      kase.urgency = env.urgency;
    }
    if (kase.status === 'waiting_on_client') {
      cs.update('cases', kase.id, { status: 'open', updatedAt: now });
      addTimeline(cs, kase.id, now, 'resumed', `contact:${contact.id}`, 'the client answered the request for details');
      startResponseClock(cs, { caseId: kase.id, urgency: kase.urgency as Urgency, policy: ctx.policy, calendar: ctx.calendar, now, reason: 'the client answered the request for details' });
      clockNote = ' — response clock started';
    } else if (agg.eta) {
      clockNote = ' — ETA stands, no new clock';
    } else if (!agg.responseClock) {
      // Starting a clock changes the case: writing it moves its version, so a racing message that decided the
      // same thing loses its guard and re-reads (a unique index on running response clocks backs this up).
      cs.update('cases', kase.id, { updatedAt: now });
      startResponseClock(cs, { caseId: kase.id, urgency: kase.urgency as Urgency, policy: ctx.policy, calendar: ctx.calendar, now, reason: 'client message with no open clock' });
      clockNote = ' — response clock started';
    }
  }
  const managerIds = kase.managerId ? [kase.managerId] : [];
  // The message itself is the timeline entry (the case view shows inbound messages in it) and clock events explain
  // any clock it started, so the hot path writes no separate timeline row.
  notifyConsole(cs, {
    type: 'client_message', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, toLead: false,
    managerIds, text: `New message from ${contact.name} on case #${kase.number}${clockNote}.`,
  }, now, core.delivery, { timeline: false });
  return { status: 'stored', caseId: kase.id, caseNumber: kase.number, messageId: msg.id, opened: false, reopened: false };
}

function acknowledge(
  cs: ChangeSet, core: Core, ctx: IntakeContext, kase: CaseRow, r: RouteDecision, dueAt: Date | null, contact: ContactRow, now: Date, reopened: boolean,
  replyTo?: { scope: string; externalId: string },
) {
  const cal = calendarFor(ctx.calendar);
  const nextAvailable = cal.isWorking(now) ? null : cal.nextWorkingMoment(now);
  const text = ackText({
    number: kase.number, urgency: kase.urgency, manager: r.manager, coveringFor: r.coveringFor, coverWhy: r.coverWhy, dueAt, nextAvailable, calendar: ctx.calendar,
    clientZone: contact.timeZone, reopened,
  });
  // SPEC §6: a client who didn't choose an urgency is offered the choice (buttons, or a numbered list of commands).
  const choices = kase.urgencySource === 'client' || kase.urgencySource === 'manager'
    ? undefined
    : URGENCIES.filter((u) => u !== kase.urgency).map((u) => ({ label: `Set urgency: ${u}`, value: `/urgency ${u}` }));
  sendToClient(cs, { caseId: kase.id, channel: kase.channel, conversationKey: kase.conversationKey, address: kase.address }, { kind: 'ack', text, caseNumber: kase.number, choices, replyTo }, now, core.delivery);
}

function subjectOf(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
