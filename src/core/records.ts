// Row shapes core reads and writes. The db layer maps them 1:1 onto tables (checked at compile time there).
import type { CalendarSpec, CaseKind, CaseStatus, ChannelKind, HoursMode, PolicySpec, Tier, Urgency } from './model';

export interface ManagerRow {
  id: string;
  name: string;
  email: string | null;
  slackUserId: string | null;
  timeZone: string;
  status: string;
  isDefault: boolean;
  onCall: boolean;
}

export interface ClientRow {
  id: string;
  name: string;
  tier: Tier | string;
  managerId: string | null;
  backupManagerId: string | null;
  calendarId: string | null;
  policyId: string | null;
  inappAccountId: string | null;
  slackChannelId: string | null;
}

export interface ContactRow {
  id: string;
  clientId: string;
  name: string;
  email: string | null;
  timeZone: string | null;
}

/** A channel's own durable state (a mailbox's UIDVALIDITY and last UID), written with the message it follows. */
export interface ChannelStateRow {
  channel: string;
  key: string;
  value: unknown;
  updatedAt: Date;
}

/** A channel account (a chat, a tenant, a mail domain) tied to a client. */
export interface ClientLinkRow {
  channel: string;
  key: string;
  clientId: string;
}

export interface IdentityRow {
  id: string;
  contactId: string;
  channel: string;
  account: string;
  externalId: string;
}

export interface CaseRow {
  id: string;
  number: number;
  clientId: string;
  contactId: string | null;
  kind: CaseKind | string;
  status: CaseStatus | string;
  urgency: Urgency | string;
  urgencySource: string;
  managerId: string | null;
  coveringForManagerId: string | null;
  channel: ChannelKind | string;
  conversationKey: string;
  address: unknown;
  subject: string;
  openedAt: Date;
  resolvedAt: Date | null;
  etaAt: Date | null;
  updatedAt: Date;
  /** Where the manager console keeps the case (written by the console, not by core). */
  slackChannelId?: string | null;
  slackThreadTs?: string | null;
  /** Optimistic-concurrency version; written by the store, never by core. */
  version?: number;
}

export interface InboundDeliveryRow {
  channel: string;
  scope: string;
  deliveryId: string;
  receivedAt: Date;
}

export interface Attachment {
  name: string;
  url: string;
  mimeType?: string;
  size?: number;
}

export interface MessageRow {
  id: string;
  caseId: string | null;
  direction: 'inbound' | 'outbound' | 'note';
  authorKind: 'contact' | 'manager' | 'system';
  contactId: string | null;
  managerId: string | null;
  kind: string;
  text: string;
  attachments: Attachment[];
  isAutomated: boolean;
  channel: string;
  conversationKey: string;
  createdAt: Date;
}

export interface PlatformIdRow {
  messageId: string;
  channel: string;
  scope: string;
  externalId: string;
  direction: 'inbound' | 'outbound';
}

export interface TimelineRow {
  caseId: string;
  at: Date;
  type: string;
  actor: string;
  reason: string;
  data: Record<string, unknown>;
}

export type ClockKind = 'response' | 'eta' | 'milestone';
export type ClockState = 'running' | 'met' | 'breached' | 'missed' | 'cancelled';

export interface ClockRow {
  id: string;
  caseId: string;
  kind: ClockKind | string;
  urgency: Urgency | string;
  hours: HoursMode | string;
  targetMinutes: number;
  startedAt: Date;
  dueAt: Date;
  state: ClockState | string;
  stoppedAt: Date | null;
  breachedAt: Date | null;
  warnAt: number[];
  warned: number[];
  nextFireAt: Date | null;
  etaId: string | null;
  milestoneId: string | null;
}

export interface ClockEventRow {
  clockId: string;
  caseId: string;
  at: Date;
  type: string;
  reason: string;
  data: Record<string, unknown>;
}

export interface EtaRow {
  id: string;
  caseId: string;
  revision: number;
  dueAt: Date;
  postedAt: Date;
  managerId: string | null;
  note: string;
  state: 'standing' | 'met' | 'missed' | 'superseded' | string;
  closedAt: Date | null;
}

export interface MilestoneRow {
  id: string;
  caseId: string;
  title: string;
  dueAt: Date;
  doneAt: Date | null;
}

export interface FeatureRequestRow {
  id: string;
  caseId: string;
  clientId: string;
  text: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface CallRequestRow {
  id: string;
  caseId: string;
  clientId: string;
  slotAt: Date;
  requestedAt: Date;
  status: string;
}

export type OutboxTarget = 'client' | 'console';

export interface OutboxRow {
  caseId: string | null;
  messageId: string | null;
  target: OutboxTarget;
  channel: string;
  conversationKey: string;
  address: unknown;
  payload: unknown;
  nextAttemptAt: Date;
  deadlineAt: Date;
  createdAt: Date;
}

/** Everything core needs to decide about one case. */
export interface CaseAggregate {
  case: CaseRow;
  client: ClientRow;
  contact: ContactRow | null;
  manager: ManagerRow | null;
  calendar: CalendarSpec;
  policy: PolicySpec;
  /** The running response clock, if any. */
  responseClock: ClockRow | null;
  /** The ETA that currently stands, if any, and its clock. */
  eta: EtaRow | null;
  etaClock: ClockRow | null;
  lastEtaRevision: number;
}
