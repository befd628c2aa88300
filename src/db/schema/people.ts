import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CalendarSpec, PolicySpec } from '../../core/model';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const managers = pgTable('managers', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email'),
  slackUserId: text('slack_user_id').unique(),
  timeZone: text('time_zone').notNull().default('Europe/Moscow'),
  status: text('status').notNull().default('active'),
  // Receives clients nobody assigned yet (SPEC §8) — at most one is expected to be set.
  isDefault: boolean('is_default').notNull().default(false),
  // Takes critical cases when the dedicated manager is away or off hours (SPEC §4).
  onCall: boolean('on_call').notNull().default(false),
  createdAt: createdAt(),
});

export const calendars = pgTable('calendars', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  spec: jsonb('spec').$type<CalendarSpec>().notNull(),
  createdAt: createdAt(),
});

export const policies = pgTable('policies', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  spec: jsonb('spec').$type<PolicySpec>().notNull(),
  createdAt: createdAt(),
});

export const clients = pgTable(
  'clients',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    tier: text('tier').notNull().default('standard'),
    managerId: uuid('manager_id').references(() => managers.id),
    backupManagerId: uuid('backup_manager_id').references(() => managers.id),
    calendarId: uuid('calendar_id').references(() => calendars.id),
    policyId: uuid('policy_id').references(() => policies.id),
    inappAccountId: text('inapp_account_id').unique(),
    slackChannelId: text('slack_channel_id'),
    createdAt: createdAt(),
  },
  (t) => [index('clients_manager_idx').on(t.managerId)],
);

export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey(),
    clientId: uuid('client_id').notNull().references(() => clients.id),
    name: text('name').notNull(),
    email: text('email'),
    timeZone: text('time_zone'),
    createdAt: createdAt(),
  },
  (t) => [index('contacts_client_idx').on(t.clientId)],
);

/** (channel, account, external id) names exactly one contact; one contact may write from several channels. */
export const identities = pgTable(
  'identities',
  {
    id: uuid('id').primaryKey(),
    contactId: uuid('contact_id').notNull().references(() => contacts.id),
    channel: text('channel').notNull(),
    account: text('account').notNull().default(''),
    externalId: text('external_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('identities_channel_account_external_uq').on(t.channel, t.account, t.externalId),
    index('identities_contact_idx').on(t.contactId),
  ],
);

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
