// Channel accounts tied to clients (client_links) and the one-time codes that tie them from the client's side.
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from './connect';
import * as s from './schema';

/**
 * Redeems a code for a channel account: the account is linked to the code's client (moved there if it was onboarded
 * elsewhere, with the contacts that wrote from it). Redeeming again from the same account is a no-op that succeeds,
 * so a redelivered `/start <code>` is harmless. Null when the code is unknown, expired or used by another account.
 */
export async function redeemLinkCode(db: Db, code: string, channel: string, key: string, now: Date): Promise<string | null> {
  const usedBy = `${channel}:${key}`;
  const [row] = await db
    .update(s.linkCodes)
    .set({ usedAt: sql`coalesce(${s.linkCodes.usedAt}, ${now})`, usedBy })
    .where(and(eq(s.linkCodes.code, code), gt(s.linkCodes.expiresAt, now), or(isNull(s.linkCodes.usedAt), eq(s.linkCodes.usedBy, usedBy))))
    .returning({ clientId: s.linkCodes.clientId });
  if (!row) return null;
  await db
    .insert(s.clientLinks)
    .values({ channel, key, clientId: row.clientId })
    .onConflictDoUpdate({ target: [s.clientLinks.channel, s.clientLinks.key], set: { clientId: row.clientId } });
  await db.execute(sql`UPDATE contacts SET client_id = ${row.clientId}
    WHERE id IN (SELECT contact_id FROM identities WHERE channel = ${channel} AND account = ${key}) AND client_id <> ${row.clientId}`);
  return row.clientId;
}

export async function linkCode(db: Db, code: string) {
  const [row] = await db
    .select({ code: s.linkCodes, clientName: s.clients.name })
    .from(s.linkCodes)
    .innerJoin(s.clients, eq(s.clients.id, s.linkCodes.clientId))
    .where(eq(s.linkCodes.code, code));
  return row ? { ...row.code, clientName: row.clientName } : null;
}

/**
 * A conversation that moved on its platform (a Telegram group upgraded to a supergroup): its open cases, queued
 * deliveries, link and identities follow, so nothing is lost and replies reach the new chat.
 */
export async function moveConversation(
  db: Db, channel: string, from: { conversationKey: string; linkKey?: string }, to: { conversationKey: string; linkKey?: string; address: unknown },
): Promise<number> {
  const moved = await db
    .update(s.cases)
    .set({ conversationKey: to.conversationKey, address: to.address as never, version: sql`${s.cases.version} + 1` })
    .where(and(eq(s.cases.channel, channel), eq(s.cases.conversationKey, from.conversationKey), sql`${s.cases.status} <> 'resolved'`))
    .returning({ id: s.cases.id });
  await db
    .update(s.outbox)
    .set({ conversationKey: to.conversationKey, address: to.address as never })
    .where(and(eq(s.outbox.conversationKey, from.conversationKey), sql`${s.outbox.status} IN ('pending', 'sending')`));
  if (from.linkKey && to.linkKey) {
    await db.execute(sql`UPDATE client_links SET key = ${to.linkKey} WHERE channel = ${channel} AND key = ${from.linkKey}
      AND NOT EXISTS (SELECT 1 FROM client_links WHERE channel = ${channel} AND key = ${to.linkKey})`);
    await db.execute(sql`UPDATE identities SET account = ${to.linkKey} WHERE channel = ${channel} AND account = ${from.linkKey}
      AND NOT EXISTS (SELECT 1 FROM identities i2 WHERE i2.channel = ${channel} AND i2.account = ${to.linkKey} AND i2.external_id = identities.external_id)`);
  }
  return moved.length;
}

/** The platform id of the client's latest message on a case, for platforms that quote or thread a reply. */
export async function lastClientMessageRef(db: Db, caseId: string): Promise<{ scope: string; externalId: string } | null> {
  const rows = await db.execute(sql`SELECT p.scope, p.external_id FROM messages m JOIN message_platform_ids p ON p.message_id = m.id
    WHERE m.case_id = ${caseId} AND m.direction = 'inbound' AND p.direction = 'inbound' ORDER BY m.seq DESC LIMIT 1`);
  const r = (rows as unknown as { rows: { scope: string; external_id: string }[] }).rows[0];
  return r ? { scope: r.scope, externalId: r.external_id } : null;
}

/** A stored client message by one of its platform ids. */
export async function messageByPlatformId(db: Db, channel: string, scope: string, externalId: string) {
  const [row] = await db
    .select({ m: s.messages, caseNumber: s.cases.number })
    .from(s.messagePlatformIds)
    .innerJoin(s.messages, eq(s.messages.id, s.messagePlatformIds.messageId))
    .leftJoin(s.cases, eq(s.cases.id, s.messages.caseId))
    .where(and(eq(s.messagePlatformIds.channel, channel), eq(s.messagePlatformIds.scope, scope), eq(s.messagePlatformIds.externalId, externalId)));
  return row ? { message: row.m, caseNumber: row.caseNumber } : null;
}

/** The conversation a stored platform message, or a case of this channel, belongs to. */
export async function conversationOf(db: Db, channel: string, ref: { platformIds?: { scope: string; externalId: string }[]; caseNumber?: number }) {
  for (const p of ref.platformIds ?? []) {
    const rows = await db.execute(sql`SELECT m.conversation_key, c.address, c.number, c.client_id FROM message_platform_ids p
      JOIN messages m ON m.id = p.message_id LEFT JOIN cases c ON c.id = m.case_id
      WHERE p.channel = ${channel} AND p.scope = ${p.scope} AND p.external_id = ${p.externalId} LIMIT 1`);
    const r = (rows as unknown as { rows: { conversation_key: string; address: unknown; number: number | null; client_id: string | null }[] }).rows[0];
    if (r) return { conversationKey: r.conversation_key, address: r.address, caseNumber: r.number, clientId: r.client_id };
  }
  if (ref.caseNumber !== undefined && Number.isInteger(ref.caseNumber) && ref.caseNumber > 0 && ref.caseNumber <= 2_147_483_647) {
    const [c] = await db.select().from(s.cases).where(and(eq(s.cases.number, ref.caseNumber), eq(s.cases.channel, channel)));
    if (c) return { conversationKey: c.conversationKey, address: c.address, caseNumber: c.number, clientId: c.clientId };
  }
  return null;
}
