// Small writers shared by intake, commands and jobs: timeline entries, client deliveries and console notices all
// become rows in the caller's ChangeSet, so they commit (or not) with the change that caused them.
import type { ChangeSet } from './changes';
import type { ConsoleNotice, InboundEnvelope, OutboundMessage } from './ports';
import { randomUUID } from 'node:crypto';
import type { CaseRow, ContactRow, MessageRow } from './records';

export interface DeliveryPolicy {
  /** How long an outbound message may keep retrying before it is reported as failed. */
  clientDeadlineMs: number;
  consoleDeadlineMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long one call to a client's platform may take before it is abandoned and retried later. */
  sendTimeoutMs: number;
  /** How long one attempt at a console notice (several calls) may take; steps it completed are not repeated. */
  consoleTimeoutMs: number;
}
// A case's console notices share one ordered lane, so a stuck one holds back the next alerts: give up on the
// console sooner (and record it on the timeline) than on a client, whose messages must not be dropped lightly.
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  clientDeadlineMs: 24 * 3600_000, consoleDeadlineMs: 2 * 3600_000, retryBaseMs: 2_000, retryMaxMs: 10 * 60_000,
  sendTimeoutMs: 10_000, consoleTimeoutMs: 20_000,
};

export function addTimeline(
  cs: ChangeSet, caseId: string, at: Date, type: string, actor: string, reason = '', data: Record<string, unknown> = {},
): void {
  cs.insert('timeline', { caseId, at, type, actor, reason, data });
}

export interface ClientDestination {
  caseId: string | null;
  channel: string;
  conversationKey: string;
  address: unknown;
}

export function destinationOf(c: CaseRow): ClientDestination {
  return { caseId: c.id, channel: c.channel, conversationKey: c.conversationKey, address: c.address };
}

/** Stores the outbound message (the client's transcript is ours, never read back from a platform) and queues it. */
export function sendToClient(
  cs: ChangeSet, to: ClientDestination, msg: OutboundMessage, now: Date, delivery: DeliveryPolicy, managerId: string | null = null,
): MessageRow {
  const row = cs.insert('messages', {
    id: randomUUID(), caseId: to.caseId, direction: 'outbound', authorKind: managerId ? 'manager' : 'system', contactId: null, managerId,
    kind: msg.kind, text: msg.text, attachments: msg.attachments ?? [], isAutomated: !managerId,
    channel: to.channel, conversationKey: to.conversationKey, createdAt: now,
  });
  cs.insert('outbox', {
    caseId: to.caseId,
    messageId: row.id,
    target: 'client',
    channel: to.channel,
    conversationKey: to.conversationKey,
    address: to.address,
    payload: msg,
    nextAttemptAt: now,
    deadlineAt: new Date(now.getTime() + delivery.clientDeadlineMs),
    createdAt: now,
  });
  return row;
}

/** A message that reached the client without us (a manager answering on the platform): kept, not queued. */
export function recordDelivered(
  cs: ChangeSet, to: ClientDestination, msg: OutboundMessage, now: Date, managerId: string | null, platformId: { scope: string; externalId: string },
): MessageRow {
  const row = cs.insert('messages', {
    id: randomUUID(), caseId: to.caseId, direction: 'outbound', authorKind: managerId ? 'manager' : 'system', contactId: null, managerId,
    kind: msg.kind, text: msg.text, attachments: msg.attachments ?? [], isAutomated: false,
    channel: to.channel, conversationKey: to.conversationKey, createdAt: now,
  });
  cs.insert('messagePlatformIds', { messageId: row.id, channel: to.channel, scope: platformId.scope, externalId: platformId.externalId, direction: 'outbound' });
  return row;
}

/**
 * Queues a notice for the manager console and keeps it on the case timeline (the console of record until Slack).
 * `timeline: false` when the caller's own timeline entry already says it (saves a row on the ingest hot path).
 */
export function notifyConsole(cs: ChangeSet, notice: ConsoleNotice, now: Date, delivery: DeliveryPolicy, opts: { timeline?: boolean } = {}): void {
  if (notice.caseId && opts.timeline !== false)
    addTimeline(cs, notice.caseId, now, 'console_notice', 'system', notice.text, {
      notice: notice.type, managerIds: notice.managerIds, toLead: notice.toLead,
    });
  cs.insert('outbox', {
    caseId: notice.caseId,
    messageId: notice.messageId ?? null,
    target: 'console',
    channel: 'console',
    // Order matters within a case's thread only: a notice about no case (a new client) waits for nothing.
    conversationKey: `console:${notice.caseId ?? randomUUID()}`,
    address: null,
    payload: notice,
    nextAttemptAt: now,
    deadlineAt: new Date(now.getTime() + delivery.consoleDeadlineMs),
    createdAt: now,
  });
}

/** A client's message as we keep it, with every platform id it came with (redeliveries and echoes are known by them). */
export function storeInbound(cs: ChangeSet, caseId: string | null, contact: ContactRow, env: InboundEnvelope, now: Date, kind = 'text'): MessageRow {
  const msg = cs.insert('messages', {
    id: randomUUID(), caseId, direction: 'inbound', authorKind: 'contact', contactId: contact.id, managerId: null,
    kind, text: env.text, attachments: env.attachments, isAutomated: env.sender.isAutomated,
    channel: env.channel, conversationKey: env.conversationKey, createdAt: now,
  });
  for (const p of env.platformMessageIds)
    cs.insert('messagePlatformIds', { messageId: msg.id, channel: env.channel, scope: p.scope, externalId: p.externalId, direction: 'inbound' });
  return msg;
}
