import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import { clients, contacts, managers } from './people';

const ts = (name: string) => timestamp(name, { withTimezone: true });

// Human case numbers (#1042); gaps are harmless, so a plain sequence is enough.
export const caseNumberSeq = pgSequence('case_number_seq', { startWith: 1001 });

export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey(),
    number: integer('number').notNull().unique(),
    clientId: uuid('client_id').notNull().references(() => clients.id),
    contactId: uuid('contact_id').references(() => contacts.id),
    kind: text('kind').notNull().default('support'),
    status: text('status').notNull().default('open'),
    urgency: text('urgency').notNull(),
    urgencySource: text('urgency_source').notNull(),
    managerId: uuid('manager_id').references(() => managers.id),
    // Set while a cover manager holds the case; /back hands it back to this one.
    coveringForManagerId: uuid('covering_for_manager_id').references(() => managers.id),
    channel: text('channel').notNull(),
    conversationKey: text('conversation_key').notNull(),
    address: jsonb('address').notNull(),
    subject: text('subject').notNull().default(''),
    openedAt: ts('opened_at').notNull(),
    resolvedAt: ts('resolved_at'),
    etaAt: ts('eta_at'),
    updatedAt: ts('updated_at').notNull(),
    // The case's thread in the client's Slack channel: the root message is the case card.
    slackChannelId: text('slack_channel_id'),
    slackThreadTs: text('slack_thread_ts'),
    // Bumped by every change to the case (in SQL): ingest reads without locks and commits only if it is unchanged.
    version: integer('version').notNull().default(0),
  },
  (t) => [
    index('cases_client_conv_idx').on(t.clientId, t.conversationKey, t.openedAt),
    // One open support case per conversation: two first messages racing each other can't both open one (the loser
    // retries and appends), without taking a lock on every message.
    uniqueIndex('cases_one_open_per_conversation').on(t.clientId, t.conversationKey).where(sql`kind = 'support' AND status <> 'resolved'`),
    index('cases_manager_status_idx').on(t.managerId, t.status),
    index('cases_status_idx').on(t.status),
    index('cases_slack_thread_idx').on(t.slackChannelId, t.slackThreadTs),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    // Read cursor for clients polling their conversation (GET .../messages?after=). Unique by its sequence; a
    // unique index on it would only cost every insert on the hottest table.
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    // Null for answers to client commands that belong to no case (e.g. /status with nothing open).
    caseId: uuid('case_id').references(() => cases.id),
    direction: text('direction').notNull(),
    authorKind: text('author_kind').notNull(),
    contactId: uuid('contact_id').references(() => contacts.id),
    managerId: uuid('manager_id').references(() => managers.id),
    kind: text('kind').notNull().default('text'),
    text: text('text').notNull(),
    attachments: jsonb('attachments').notNull().default(sql`'[]'::jsonb`),
    isAutomated: boolean('is_automated').notNull().default(false),
    channel: text('channel').notNull(),
    conversationKey: text('conversation_key').notNull(),
    createdAt: ts('created_at').notNull(),
    // The writing transaction's id. Transactions commit in any order, so seq alone can't tell a reader which rows
    // are final; rows whose writer is older than every transaction still in flight are (see read-back).
    xid: bigint('xid', { mode: 'number' }).notNull().default(sql`(pg_current_xact_id()::text)::bigint`),
    // A conversation's read-back position, given once the row is final: increasing in the order rows became
    // readable, so a poller's cursor can never pass a row that commits later. Null until a reader assigns it.
    pos: bigint('pos', { mode: 'number' }),
  },
  (t) => [
    index('messages_case_idx').on(t.caseId, t.createdAt),
    index('messages_conv_xid_idx').on(t.conversationKey, t.xid),
    index('messages_conv_pos_idx').on(t.conversationKey, t.pos).where(sql`pos IS NOT NULL`),
  ],
);

export const messagePosSeq = pgSequence('messages_pos_seq');

/** Per conversation: every row written by a transaction older than this xid has its read-back position. */
export const readbackHorizons = pgTable('readback_horizons', {
  conversationKey: text('conversation_key').primaryKey(),
  xid: bigint('xid', { mode: 'number' }).notNull(),
});

/** Every platform id a message produced or came from, so echoes and redeliveries are known after a restart. */
export const messagePlatformIds = pgTable(
  'message_platform_ids',
  {
    messageId: uuid('message_id').notNull().references(() => messages.id),
    channel: text('channel').notNull(),
    scope: text('scope').notNull(),
    externalId: text('external_id').notNull(),
    direction: text('direction').notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.scope, t.externalId] }), index('mpi_message_idx').on(t.messageId)],
);

/**
 * One row per platform delivery: the primary key is the dedupe. A delivery id is unique only within the platform's
 * own scope (an in-app account, a Slack team, a Telegram bot, a mailbox), so the scope is part of the key.
 */
export const inboundDeliveries = pgTable(
  'inbound_deliveries',
  {
    channel: text('channel').notNull(),
    scope: text('scope').notNull().default(''),
    deliveryId: text('delivery_id').notNull(),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.scope, t.deliveryId] })],
);

export const timeline = pgTable(
  'case_timeline',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    at: ts('at').notNull(),
    type: text('type').notNull(),
    actor: text('actor').notNull(),
    reason: text('reason').notNull().default(''),
    data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index('timeline_case_idx').on(t.caseId, t.id)],
);

export const etas = pgTable(
  'etas',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    revision: integer('revision').notNull(),
    dueAt: ts('due_at').notNull(),
    postedAt: ts('posted_at').notNull(),
    managerId: uuid('manager_id').references(() => managers.id),
    note: text('note').notNull().default(''),
    // standing → met | missed | superseded
    state: text('state').notNull().default('standing'),
    closedAt: ts('closed_at'),
  },
  (t) => [uniqueIndex('etas_case_revision_uq').on(t.caseId, t.revision)],
);

export const milestones = pgTable(
  'milestones',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    title: text('title').notNull(),
    dueAt: ts('due_at').notNull(),
    doneAt: ts('done_at'),
  },
  (t) => [index('milestones_case_idx').on(t.caseId)],
);

export const featureRequests = pgTable(
  'feature_requests',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    clientId: uuid('client_id').notNull().references(() => clients.id),
    text: text('text').notNull(),
    status: text('status').notNull().default('new'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('feature_requests_status_idx').on(t.status, t.createdAt)],
);

export const callRequests = pgTable('call_requests', {
  id: uuid('id').primaryKey(),
  caseId: uuid('case_id').notNull().references(() => cases.id),
  clientId: uuid('client_id').notNull().references(() => clients.id),
  slotAt: ts('slot_at').notNull(),
  requestedAt: ts('requested_at').notNull(),
  status: text('status').notNull().default('requested'),
});
