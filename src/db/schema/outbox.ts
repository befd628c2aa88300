import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases, messages } from './cases';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * Everything we send — to a client's channel or to the manager console — is a row here, written in the same
 * transaction as the change that caused it, and drained by a worker. `lease_until` lets a crashed sender's rows be
 * picked up again; per conversation only the oldest unsent row is claimable, so clients see messages in order.
 * `lease_token` names the claim that owns a row while it is sent (renewing the lease keeps the token, so a result
 * is recorded only by the sender that still owns it); `steps_done` lists the parts of a multi-step delivery that
 * already went out, so a retry repeats only the rest.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: uuid('case_id').references(() => cases.id),
    messageId: uuid('message_id').references(() => messages.id),
    target: text('target').notNull(),
    channel: text('channel').notNull(),
    conversationKey: text('conversation_key').notNull(),
    // Null for console notices, which have no client address.
    address: jsonb('address'),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    deadlineAt: ts('deadline_at').notNull(),
    leaseUntil: ts('lease_until'),
    leaseToken: uuid('lease_token'),
    stepsDone: jsonb('steps_done').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    lastError: text('last_error'),
    externalIds: jsonb('external_ids').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    index('outbox_pending_idx').on(t.nextAttemptAt).where(sql`status IN ('pending', 'sending')`),
    index('outbox_conv_pending_idx').on(t.conversationKey, t.id).where(sql`status IN ('pending', 'sending')`),
  ],
);
