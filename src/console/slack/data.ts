// What the Slack console reads and records: case views for cards and App Home, and the mapping between Slack
// channels / threads / messages and our clients / cases / messages. Slack history is never read back (rate
// limited since 2025); everything shown is rebuilt from our own tables.
import { and, asc, desc, eq, inArray, ne, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect';
import { latestResponseClocks, caseView } from '../../db/read-models';
import * as s from '../../db/schema';

export type CaseCardData = Awaited<ReturnType<SlackData['caseCard']>>;

export class SlackData {
  constructor(readonly db: Db) {}

  async caseCard(caseId: string, now: Date) {
    const [row] = await this.db
      .select({ c: s.cases, client: s.clients, manager: s.managers, contact: s.contacts })
      .from(s.cases)
      .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
      .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
      .leftJoin(s.contacts, eq(s.contacts.id, s.cases.contactId))
      .where(eq(s.cases.id, caseId));
    if (!row) return null;
    const clock = (await latestResponseClocks(this.db, [caseId])).get(caseId);
    const cal = row.client.calendarId ? (await this.db.select().from(s.calendars).where(eq(s.calendars.id, row.client.calendarId)))[0]?.spec : null;
    return { view: caseView(row.c, clock, now, row.client.tier), row: row.c, client: row.client, manager: row.manager, contact: row.contact, zone: cal?.zone ?? 'Europe/Moscow' };
  }

  async managersOf(clientId: string) {
    const [c] = await this.db.select().from(s.clients).where(eq(s.clients.id, clientId));
    if (!c) return [];
    const ids = [c.managerId, c.backupManagerId].filter((x): x is string => !!x);
    return ids.length ? this.db.select().from(s.managers).where(inArray(s.managers.id, ids)) : [];
  }

  async managers(ids: string[]) {
    return ids.length ? this.db.select().from(s.managers).where(inArray(s.managers.id, ids)) : [];
  }

  async managerBySlackUser(userId: string) {
    const [m] = await this.db.select().from(s.managers).where(eq(s.managers.slackUserId, userId));
    return m ?? null;
  }

  async setClientChannel(clientId: string, channelId: string) {
    await this.db.update(s.clients).set({ slackChannelId: channelId }).where(eq(s.clients.id, clientId));
  }

  async setCaseThread(caseId: string, channelId: string, ts: string) {
    // Not a case change in the SLA sense: the version is left alone so ingest doesn't see a conflict.
    await this.db.update(s.cases).set({ slackChannelId: channelId, slackThreadTs: ts }).where(eq(s.cases.id, caseId));
  }

  async caseByThread(channelId: string, threadTs: string) {
    const [c] = await this.db.select().from(s.cases).where(and(eq(s.cases.slackChannelId, channelId), eq(s.cases.slackThreadTs, threadTs)));
    return c ?? null;
  }

  async clientByChannel(channelId: string) {
    const [c] = await this.db.select().from(s.clients).where(eq(s.clients.slackChannelId, channelId));
    return c ?? null;
  }

  /** The channel's most recent open case: what a slash command means when it names none. */
  async latestOpenCaseInChannel(channelId: string) {
    const client = await this.clientByChannel(channelId);
    if (!client) return null;
    const [c] = await this.db
      .select()
      .from(s.cases)
      .where(and(eq(s.cases.clientId, client.id), ne(s.cases.status, 'resolved')))
      .orderBy(desc(s.cases.openedAt))
      .limit(1);
    return c ?? null;
  }

  async caseByRef(ref: { id?: string; number?: number }) {
    if (ref.id) {
      const [c] = await this.db.select().from(s.cases).where(eq(s.cases.id, ref.id));
      return c ?? null;
    }
    return ref.number ? this.caseByNumber(ref.number) : null;
  }

  async caseByNumber(n: number) {
    const [c] = await this.db.select().from(s.cases).where(eq(s.cases.number, n));
    return c ?? null;
  }

  async message(id: string) {
    const [m] = await this.db
      .select({ m: s.messages, contactName: s.contacts.name, managerName: s.managers.name })
      .from(s.messages)
      .leftJoin(s.contacts, eq(s.contacts.id, s.messages.contactId))
      .leftJoin(s.managers, eq(s.managers.id, s.messages.managerId))
      .where(eq(s.messages.id, id));
    return m ?? null;
  }

  /**
   * The Slack message a manager wrote that became our message, if it came from Slack. Only the inbound id: a reply
   * delivered into a client's Slack Connect channel also carries the id of our post there, which is not where the
   * manager wrote.
   */
  async slackOrigin(messageId: string) {
    const [p] = await this.db
      .select()
      .from(s.messagePlatformIds)
      .where(and(eq(s.messagePlatformIds.messageId, messageId), eq(s.messagePlatformIds.channel, 'slack'), eq(s.messagePlatformIds.direction, 'inbound')));
    return p ? { channel: p.scope, ts: p.externalId } : null;
  }

  /** A manager's open cases, premium first, then nearest deadline (the App Home queue). */
  async queueOf(managerId: string, now: Date) {
    const rows = await this.db
      .select({ c: s.cases, tier: s.clients.tier, clientName: s.clients.name })
      .from(s.cases)
      .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
      .where(and(eq(s.cases.managerId, managerId), ne(s.cases.status, 'resolved')))
      .orderBy(asc(s.cases.openedAt));
    const clocks = await latestResponseClocks(this.db, rows.map((r) => r.c.id));
    const views = rows.map((r) => ({ ...caseView(r.c, clocks.get(r.c.id), now, r.tier), clientName: r.clientName }));
    const due = (v: (typeof views)[number]) => (v.sla.dueAt && (v.sla.state === 'running' || v.sla.state === 'breached') ? Date.parse(v.sla.dueAt) : Infinity);
    // Premium before standard in every queue (SPEC §4), then the nearest deadline.
    return views.sort((a, b) => (a.tier === b.tier ? 0 : a.tier === 'premium' ? -1 : 1) || due(a) - due(b) || a.number - b.number);
  }

  async clientByName(name: string) {
    const all = await this.db.select().from(s.clients);
    const n = name.toLowerCase();
    return all.find((c) => c.name.toLowerCase() === n) ?? all.find((c) => c.name.toLowerCase().includes(n)) ?? null;
  }

  // ---- Slack Connect: shared channels tied to clients (client_links, channel 'slack', key = channel id) ----------

  /** The client a shared channel is linked to; null for an unlinked channel and for a client's console channel. */
  async sharedChannelClient(channelId: string): Promise<string | null> {
    const [l] = await (this.sharedChannel ??= this.prepareSharedChannel()).execute({ channelId });
    return l?.clientId ?? null;
  }

  // Asked on every Slack Connect event: built and planned once (a named prepared statement), not per event.
  private sharedChannel: ReturnType<SlackData['prepareSharedChannel']> | null = null;
  private prepareSharedChannel() {
    return this.db
      .select({ clientId: s.clientLinks.clientId })
      .from(s.clientLinks)
      .where(and(
        eq(s.clientLinks.channel, 'slack'), eq(s.clientLinks.key, sql.placeholder('channelId')),
        notExists(this.db.select().from(s.clients).where(eq(s.clients.slackChannelId, sql.placeholder('channelId')))),
      ))
      .prepare('sb_shared_channel_client');
  }

  /**
   * Ties a shared channel to a client. Refused (with the reason, for the manager) when it is a client's console
   * channel, where clients must never read along, or already tied to another client.
   */
  async linkSharedChannel(channelId: string, clientId: string): Promise<{ ok: true; clientName: string } | { ok: false; why: string }> {
    const [client] = await this.db.select().from(s.clients).where(eq(s.clients.id, clientId));
    if (!client) return { ok: false, why: 'That client no longer exists.' };
    const owner = await this.clientByChannel(channelId);
    if (owner) return { ok: false, why: `This is the console channel of ${owner.name}: managers talk there, so it can't be a client's shared channel.` };
    await this.db.insert(s.clientLinks).values({ channel: 'slack', key: channelId, clientId }).onConflictDoNothing();
    const [l] = await this.db.select().from(s.clientLinks).where(and(eq(s.clientLinks.channel, 'slack'), eq(s.clientLinks.key, channelId)));
    if (l && l.clientId !== clientId) {
      const [other] = await this.db.select({ name: s.clients.name }).from(s.clients).where(eq(s.clients.id, l.clientId));
      return { ok: false, why: `This channel is linked to ${other?.name ?? 'another client'} already; unlink it there first (DELETE /api/v1/clients/:id/links).` };
    }
    return { ok: true, clientName: client.name };
  }

  /** A shared channel got a new id (a private channel's G… id becomes C… when a share starts): its link follows. */
  async moveSharedChannel(from: string, to: string) {
    await this.db.update(s.clientLinks).set({ key: to }).where(and(eq(s.clientLinks.channel, 'slack'), eq(s.clientLinks.key, from)));
  }

  /** Clients to offer in the lead channel's menu: the most recently created first, at most `limit`. */
  async clientsForMenu(limit: number) {
    return this.db.select({ id: s.clients.id, name: s.clients.name }).from(s.clients).orderBy(desc(s.clients.createdAt)).limit(limit);
  }

  /** The latest case of a Slack conversation (a shared-channel thread). */
  async latestCaseOfConversation(conversationKey: string) {
    const [c] = await this.db
      .select()
      .from(s.cases)
      .where(and(eq(s.cases.channel, 'slack'), eq(s.cases.conversationKey, conversationKey)))
      .orderBy(desc(s.cases.openedAt))
      .limit(1);
    return c ?? null;
  }
}
