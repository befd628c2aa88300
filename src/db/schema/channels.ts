import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { uuid } from 'drizzle-orm/pg-core';
import { clients } from './people';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * What ties a channel's account to a client: a Telegram chat, a Teams tenant or conversation, a Slack Connect
 * channel, a mail domain. Set through the admin API or by a link code; an onboarded unknown account is linked too.
 */
export const clientLinks = pgTable(
  'client_links',
  {
    channel: text('channel').notNull(),
    key: text('key').notNull(),
    clientId: uuid('client_id').notNull().references(() => clients.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.key] }), index('client_links_client_idx').on(t.clientId)],
);

/** One-time codes a manager sends a client (a Telegram deep link), redeemed by `/start <code>` from the client's chat. */
export const linkCodes = pgTable('link_codes', {
  code: text('code').primaryKey(),
  clientId: uuid('client_id').notNull().references(() => clients.id),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  usedBy: text('used_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** A channel's own small durable state: polling offsets, mailbox cursors. */
export const channelState = pgTable(
  'channel_state',
  {
    channel: text('channel').notNull(),
    key: text('key').notNull(),
    value: jsonb('value').notNull(),
    updatedAt: ts('updated_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.channel, t.key] })],
);

/** Who runs a single-instance receiver (long polling, IMAP IDLE) right now, and until when unless renewed. */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
});
