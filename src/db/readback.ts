// Reading a conversation back in pages (`?after=<pos>`), safely by commit order. Rows get their `seq` when they are
// inserted, but transactions commit in any order: a poller that moved its cursor past seq 10 would never see seq 9
// committing a moment later. So a reader first gives read-back positions to the rows that are final — written by a
// transaction older than every transaction still in flight (`pg_snapshot_xmin`) — one conversation at a time
// (an advisory lock), and pages by those positions. A row still being written waits for the next poll.
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from './connect';
import * as s from './schema';

// Namespace of the per-conversation advisory locks (the migration lock uses 727400101).
const LOCK_SPACE = 727400102;

/** Gives positions to the conversation's rows that became final since the last reader's pass. */
export async function assignReadbackPositions(db: Db, conversationKey: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${LOCK_SPACE}, hashtext(${conversationKey}))`);
    // Rows older than the last pass's horizon were all final then and got positions; only the window since is read.
    await tx.execute(sql`
      WITH h AS (
        SELECT coalesce((SELECT xid FROM readback_horizons WHERE conversation_key = ${conversationKey}), 0) AS lo,
               (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS hi
      ),
      todo AS (
        SELECT m.id FROM messages m, h
        WHERE m.conversation_key = ${conversationKey} AND m.pos IS NULL AND m.xid >= h.lo AND m.xid < h.hi
        ORDER BY m.seq
      ),
      numbered AS (SELECT id, nextval('messages_pos_seq') AS p FROM todo),
      upd AS (UPDATE messages m SET pos = n.p FROM numbered n WHERE m.id = n.id RETURNING 1),
      hz AS (
        INSERT INTO readback_horizons (conversation_key, xid) SELECT ${conversationKey}, hi FROM h WHERE hi > lo
        ON CONFLICT (conversation_key) DO UPDATE SET xid = GREATEST(readback_horizons.xid, EXCLUDED.xid) RETURNING 1
      )
      SELECT (SELECT count(*) FROM upd) AS assigned, (SELECT count(*) FROM hz) AS moved`);
  });
}

/**
 * A page of a conversation's client-visible messages after a position, oldest first. The author of an inbound message
 * is named by its contact's identity on this channel — in `identityAccount` when given (an in-app read-back: the
 * account in the signed URL), so a person known in two accounts is never named by the other account's user id — and
 * by one identity only, so a contact with several never repeats a message.
 */
export async function conversationMessages(db: Db, conversationKey: string, identityChannel: string, after: number, limit: number, identityAccount?: string) {
  await assignReadbackPositions(db, conversationKey);
  const userId = sql<string | null>`(SELECT i.external_id FROM ${s.identities} i
    WHERE i.contact_id = ${s.messages.contactId} AND i.channel = ${identityChannel}${identityAccount === undefined ? sql`` : sql` AND i.account = ${identityAccount}`}
    ORDER BY i.created_at, i.id LIMIT 1)`;
  const rows = await db
    .select({
      pos: s.messages.pos, id: s.messages.id, direction: s.messages.direction, kind: s.messages.kind, text: s.messages.text,
      attachments: s.messages.attachments, createdAt: s.messages.createdAt, caseNumber: s.cases.number, author: s.managers.name,
      userId,
    })
    .from(s.messages)
    .leftJoin(s.cases, eq(s.cases.id, s.messages.caseId))
    .leftJoin(s.managers, eq(s.managers.id, s.messages.managerId))
    .where(and(eq(s.messages.conversationKey, conversationKey), gt(s.messages.pos, after), inArray(s.messages.direction, ['inbound', 'outbound'])))
    .orderBy(asc(s.messages.pos))
    .limit(limit);
  return rows.map((r) => ({
    seq: r.pos!, id: r.id, direction: r.direction, kind: r.kind, text: r.text, attachments: r.attachments,
    caseNumber: r.caseNumber, author: r.direction === 'outbound' ? { name: r.author ?? 'Support' } : { userId: r.userId },
    createdAt: r.createdAt.toISOString(),
  }));
}
