// The interfaces core needs from the outside world. Implementations live in src/db, adapters/, src/console.
import type { ChangeSet } from './changes';
import type { CalendarSpec, ChannelKind, PolicySpec, Urgency } from './model';
import type {
  Attachment, CaseAggregate, CaseRow, ClientRow, ClockRow, ContactRow, FeatureRequestRow, ManagerRow, MessageRow, MilestoneRow,
} from './records';
import type { TriageRules } from './triage';
import type { OutboxClaim } from './delivery';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

// ---- channels -------------------------------------------------------------------------------------------------

/** What a platform can do; core composes the degraded form from these, the same way for every channel. */
export interface ChannelCapabilities {
  buttons: boolean;
  threads: boolean;
  attachments: boolean;
  maxTextLength: number;
  markup: 'none' | 'markdown' | 'html';
  proactive: boolean;
  echoesOwnSends: boolean;
}

export interface InboundSender {
  externalId: string;
  name: string;
  email?: string | null;
  timeZone?: string | null;
  /** The message is our own send coming back. */
  isSelf: boolean;
  /** Sent by a bot, an auto-responder or a mailing list: stored, never answered, never starts a clock. */
  isAutomated: boolean;
}

export interface InboundEnvelope {
  channel: ChannelKind;
  /** Platform scope of the sender: workspace, tenant, in-app account ('' when the platform has none). */
  account: string;
  /** Dedupe key of this delivery, unique within `deliveryScope`. */
  deliveryId: string;
  /**
   * The platform's own scope in which delivery ids are unique: the in-app account, a Slack team, a Telegram bot, a
   * Bot Framework conversation, a mailbox. Two scopes may use the same id for different messages.
   */
  deliveryScope: string;
  /** Begins with the channel name; messages with one key form one conversation. */
  conversationKey: string;
  /** Opaque JSON the adapter needs to reply later. */
  address: unknown;
  sender: InboundSender;
  /** A hint for onboarding an unknown account as a client (SPEC §8). */
  accountName?: string;
  /** How a client onboarded from this envelope is found again by its adapter (e.g. the in-app account id). */
  clientLink?: { inappAccountId?: string };
  /**
   * Keys that may tie the sender to a client, most specific first: a Telegram chat, a Teams conversation and then its
   * tenant, a mail address and then its domain. A client is linked to keys through the admin API or a link code
   * (`/start <code>`); an unknown sender of an unlinked key is onboarded (SPEC §8) and linked by the first key.
   */
  linkKeys?: string[];
  /**
   * Not a new message but a change to one already stored (found by its platform id in this channel): an edit
   * replaces its text (the previous text is kept on the case timeline), a deletion is recorded.
   */
  change?: { kind: 'edit' | 'delete'; target: { scope: string; externalId: string } };
  /**
   * A pull receiver's position (a mailbox's UIDVALIDITY and last UID), written with the message in one transaction
   * so a restart neither loses nor repeats it. Kept in the channel's state under `key`.
   */
  cursor?: { key: string; value: unknown };
  /** Platform ids of the message itself, stored for echo and redelivery recognition. */
  platformMessageIds: { scope: string; externalId: string }[];
  text: string;
  attachments: Attachment[];
  /** The client's explicit urgency choice, when the channel carries one. */
  urgency?: Urgency;
  receivedAt: Date;
}

export interface OutboundChoice {
  label: string;
  value: string;
}

/** A message for a client, composed by core and rendered by an adapter. */
export interface OutboundMessage {
  kind: 'ack' | 'reply' | 'eta' | 'needinfo' | 'resolution' | 'status' | 'notice' | 'feature' | 'call';
  text: string;
  caseNumber?: number;
  /** The manager who wrote it (`managerId` lets an adapter show their platform picture), absent for automatic messages. */
  author?: { name: string; managerId?: string };
  choices?: OutboundChoice[];
  attachments?: Attachment[];
  /** The client's message this answers, by its platform id, for platforms that quote or thread replies. */
  replyTo?: { scope: string; externalId: string };
}

export interface SendResult {
  externalIds: string[];
  /**
   * The platform scope those ids live in, as inbound messages of this conversation name it (default: the
   * conversation key), so an echo of our own send is recognised by the same lookup as a redelivery.
   */
  scope?: string;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface ChannelAdapter {
  kind: ChannelKind;
  capabilities: ChannelCapabilities;
  /** Throws DeliveryError: retryable for outages and rate limits, not retryable for permanent refusals. */
  send(address: unknown, msg: OutboundMessage, opts: { idempotencyKey: string; signal: AbortSignal }): Promise<SendResult>;
}

// ---- manager console ------------------------------------------------------------------------------------------

export type ConsoleNoticeType =
  | 'case_opened' | 'client_message' | 'sla_warning' | 'sla_breach' | 'eta_missed' | 'milestone_missed'
  | 'delivery_failed' | 'escalation' | 'new_client' | 'case_reassigned' | 'case_updated' | 'reply_delivered'
  | 'message_edited' | 'message_deleted' | 'channel_alert' | 'manager_reply';

export interface ConsoleNotice {
  type: ConsoleNoticeType;
  caseId: string | null;
  caseNumber: number | null;
  text: string;
  /** Managers to tell directly (dedicated, cover, backup on breach). */
  managerIds: string[];
  /** Also post to the support-lead channel. */
  toLead: boolean;
  /** The message this notice is about (a client message, a failed delivery), for consoles that show it. */
  messageId?: string | null;
}

/**
 * The steps of one delivery that earlier attempts already completed. A console whose notice takes several calls
 * (thread, DMs, lead channel) skips the steps done and records each one as it completes, so a retry repeats only
 * what failed.
 */
export interface DeliverySteps {
  has(step: string): boolean;
  /** Throws when this attempt no longer owns the delivery (another instance took it over): stop sending. */
  done(step: string): Promise<void>;
}

export interface ManagerConsole {
  /**
   * `signal` aborts when the attempt runs out of time or loses its lease: check it between calls, since a step
   * started after it fired may be repeated by the next attempt.
   */
  deliver(notice: ConsoleNotice, opts: { idempotencyKey: string; signal: AbortSignal; steps: DeliverySteps }): Promise<void>;
}

// ---- storage --------------------------------------------------------------------------------------------------

export interface IntakeContext {
  /** This delivery was seen before. */
  duplicate: boolean;
  /** One of the platform message ids belongs to a message we sent. */
  echo: boolean;
  contact: ContactRow | null;
  client: ClientRow | null;
  calendar: CalendarSpec;
  policy: PolicySpec;
  managers: ManagerRow[];
  /** The latest not-resolved case on this conversation, with its clocks. */
  openCase: CaseAggregate | null;
  /** The latest resolved case on this conversation. */
  lastResolved: CaseRow | null;
  triage: TriageRules;
  /** A case number reserved in case intake opens a case (numbers may have gaps). */
  newCaseNumber: number | null;
}

export interface StoreTx {
  /** Records the delivery (dedupe) and loads everything intake decides on. */
  intakeContext(env: InboundEnvelope, now: Date): Promise<IntakeContext>;
  apply(changes: ChangeSet): Promise<void>;
  /** Records a platform delivery; false when it was recorded before (a redelivery). */
  recordDelivery(d: { channel: string; scope: string; id: string }, now: Date): Promise<boolean>;
  nextCaseNumber(): Promise<number>;
  /** Ties the channel account to the code's client; the client id, or null for an unknown, expired or taken code. */
  redeemLinkCode(code: string, channel: string, key: string, now: Date): Promise<string | null>;
  linkCode(code: string): Promise<{ clientId: string; clientName: string; usedBy: string | null; expiresAt: Date } | null>;
  /** The platform id of the client's latest message on the case (what a reply quotes or threads under). */
  lastClientMessageRef(caseId: string): Promise<{ scope: string; externalId: string } | null>;
  /** A stored message by one of its platform ids (what an edit or a deletion on the platform refers to). */
  messageByPlatformId(channel: string, scope: string, externalId: string): Promise<{ message: MessageRow; caseNumber: number | null } | null>;
  /** The conversation a platform message or a case belongs to (how an email reply finds its thread). */
  conversationOf(channel: string, ref: { platformIds?: { scope: string; externalId: string }[]; caseNumber?: number }): Promise<{ conversationKey: string; address: unknown; caseNumber: number | null; clientId: string | null } | null>;
  /** A conversation that moved on its platform: open cases, queued deliveries, its link and identities follow. */
  moveConversation(channel: string, from: { conversationKey: string; linkKey?: string }, to: { conversationKey: string; linkKey?: string; address: unknown }): Promise<number>;
  /** Loads and row-locks a case for a command. */
  loadCase(ref: { id?: string; number?: number }, opts?: { lock?: boolean }): Promise<CaseAggregate | null>;
  getManager(id: string): Promise<ManagerRow | null>;
  listManagers(): Promise<ManagerRow[]>;
  getClient(id: string): Promise<ClientRow | null>;
  clientSettings(client: ClientRow): Promise<{ calendar: CalendarSpec; policy: PolicySpec }>;
  openCasesOfClient(clientId: string): Promise<CaseRow[]>;
  /**
   * Open cases covered for the manager, row-locked: 'wait' behind another holder (then re-checked), 'skip' rows
   * another transaction holds — so two hand-backs racing each other move (and tell the client about) a case once.
   */
  casesCoveredFor(managerId: string, lock: 'wait' | 'skip'): Promise<CaseRow[]>;
  openCasesOfManager(managerId: string): Promise<CaseRow[]>;
  openMilestones(caseId: string): Promise<MilestoneRow[]>;
  runningClocks(caseId: string): Promise<ClockRow[]>;
  featureQueue(): Promise<{ id: string; clientId: string; clientName: string; tier: string; text: string; status: string; createdAt: Date; caseNumber: number }[]>;
  /** Clocks whose next_fire_at has passed (no locks: a cheap poll). */
  dueClocks(now: Date, limit: number): Promise<{ id: string; caseId: string }[]>;
  /** Locks the case, then the clock if it is still due; null when another instance or a command holds the case. */
  lockDueClock(caseId: string, clockId: string, now: Date): Promise<ClockRow | null>;
  /** The clock's current run of processing failures (none since it last did anything else): when it began, the last reason. */
  clockFailures(caseId: string, clockId: string): Promise<{ since: Date; lastReason: string } | null>;
  featureRequest(id: string): Promise<FeatureRequestRow | null>;
  latestCaseOfClient(clientId: string): Promise<CaseRow | null>;
  milestoneWithClock(id: string): Promise<{ milestone: MilestoneRow; clock: ClockRow | null } | null>;
  /** Claims due rows (of one lane's channels when given) under a fresh lease token each. */
  claimOutbox(now: Date, limit: number, leaseMs: number, lane?: OutboxLane): Promise<OutboxClaim[]>;
  /** Extends the leases still held by these tokens; returns the tokens that still own their rows. */
  renewOutbox(tokens: string[], leaseUntil: Date): Promise<string[]>;
  /** Records a completed step (and the platform ids it produced); false when the token no longer owns the row. */
  recordOutboxStep(id: number, token: string, step: string, externalIds: string[]): Promise<boolean>;
  /** Records the outcome; false when the token no longer owns the row (its lease ran out and another instance took it). */
  finishOutbox(id: number, token: string, patch: OutboxFinish): Promise<boolean>;
}

/** Rows whose channel is one of `channels`, or (`except`) none of them. */
export type OutboxLane = { channels: string[] } | { except: string[] };

export interface OutboxFinish {
  status: 'sent' | 'pending' | 'failed' | 'expired';
  attempts: number;
  lastError: string | null;
  sentAt?: Date;
  nextAttemptAt?: Date;
  externalIds?: string[];
}

export interface Store {
  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Statements on one held connection but in no transaction: each commits on its own. Holding the connection keeps
   * the gap between an optimistic read and its write short, so races stay rare.
   */
  session<T>(fn: (s: StoreSession) => Promise<T>): Promise<T>;
}

export interface StoreSession {
  /** The intake context from one consistent snapshot, taking no locks and recording nothing. */
  readIntake(env: InboundEnvelope, now: Date): Promise<IntakeContext>;
  /** Applies a change set atomically on its own; throws ConflictError when a guard or a unique key says it raced. */
  commit(changes: ChangeSet): Promise<void>;
}

/** Another writer got there first (a guarded row moved, a unique key was taken): read again and retry. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
