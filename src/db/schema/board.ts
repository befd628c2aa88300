import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * Signed-in SLA boards. The cookie carries a random id; only its hash is kept, so reading this table (a backup, a
 * replica) yields no usable cookie. Rows are shared by every instance on the database, and deleting one signs that
 * board out everywhere. `token_sha256` is the admin token's hash at sign-in: a changed ADMIN_TOKEN ends old sessions.
 */
export const boardSessions = pgTable(
  'board_sessions',
  {
    idSha256: text('id_sha256').primaryKey(),
    tokenSha256: text('token_sha256').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('board_sessions_expires_idx').on(t.expiresAt)],
);
