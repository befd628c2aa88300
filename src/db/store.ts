// The Store port on drizzle. Each core operation runs in one transaction; writes arrive as a ChangeSet and are
// applied as one statement (data-modifying CTEs) to keep round trips — the dominant cost of ingest — low.
import { and, asc, desc, eq, inArray, isNull, ne, notInArray, sql } from 'drizzle-orm';
import type { ChangeSet } from '../core/changes';
import type { OutboxClaim } from '../core/delivery';
import type { CalendarSpec, PolicySpec } from '../core/model';
import { ConflictError, type InboundEnvelope, type IntakeContext, type OutboxFinish, type OutboxLane, type Store, type StoreSession, type StoreTx } from '../core/ports';
import { describeError } from '../core/errors';
import type { CaseAggregate, CaseRow, ClientRow, ClockRow, ContactRow, EtaRow, ManagerRow, MessageRow } from '../core/records';
import { DEFAULT_CALENDAR } from '../core/sla/calendar';
import { effectivePolicy } from '../core/sla/policy';
import { DEFAULT_TRIAGE, type TriageRules } from '../core/triage';
import { fromJsonRow, intakeQuery } from './intake-query';
import type { Db } from './connect';
import * as links from './links';
import { GroupCommitter, isPlainAppend } from './group-commit';
import * as s from './schema';
import { changeSetSql, heldConnection, rawQuery, type DriverKind, type RawQuery } from './raw';

// Serialization failures and deadlocks, and unique violations: two first messages racing to open a case, create a
// contact or onboard a client collide on a unique index; the loser's retry sees the winner's rows and appends.
const RETRYABLE_PG = new Set(['40001', '40P01', '23505']);

interface IntakeJson {
  inserted: boolean;
  seen: string[] | null;
  contact: Record<string, unknown> | null;
  client: Record<string, unknown> | null;
  calendar: CalendarSpec | null;
  policy: Partial<PolicySpec> | null;
  triage: TriageRules | null;
  managers: Record<string, unknown>[] | null;
  case: Record<string, unknown> | null;
  clocks: Record<string, unknown>[] | null;
  eta: Record<string, unknown> | null;
  number: number | string | null;
  config: number | string | null;
}

export class DrizzleStore implements Store {
  /** Plain appends of concurrent sessions written together (PostgreSQL; PGlite runs one statement at a time anyway). */
  private readonly group: GroupCommitter | null;

  constructor(
    private readonly db: Db,
    private readonly kind: DriverKind,
    opts: { onBatch?: (size: number, retried: boolean) => void } = {},
  ) {
    this.group = kind === 'postgres'
      ? new GroupCommitter(async (exec) => {
          const conn = await heldConnection(this.db, this.kind);
          try {
            await exec(conn.query);
          } finally {
            conn.release();
          }
        }, { onBatch: opts.onBatch })
      : null;
  }

  /**
   * Intake contexts of conversations with an open case, remembered between messages: a plain follow-up message
   * then needs one round trip instead of two. Safe across instances because nothing is trusted: the write commits
   * only if the case's version and the configuration counter are what the context was read at; otherwise it fails,
   * the entry is dropped and intake reads afresh.
   */
  private readonly contexts = new Map<string, { json: IntakeJson; config: number }>();

  async session<T>(fn: (s: StoreSession) => Promise<T>): Promise<T> {
    // Taken only when needed: a remembered context and a batched append use no connection of the session's own.
    let conn: { query: RawQuery; release(): void } | null = null;
    const query: RawQuery = async (text, params, name) => (conn ??= await heldConnection(this.db, this.kind)).query(text, params, name);
    const release = () => {
      (conn as { release(): void } | null)?.release();
      conn = null;
    };
    let key: string | null = null;
    let remembered: number | undefined;
    try {
      const reader = new DrizzleTx(this.db, this.kind, query);
      return await fn({
        readIntake: async (env, now) => {
          key = `${env.channel}\u0000${env.account}\u0000${env.sender.externalId}\u0000${env.conversationKey}`;
          const hit = this.contexts.get(key);
          remembered = hit?.config;
          if (hit) return contextFromJson(hit.json);
          const j = await reader.intakeJson(env, now, 'read');
          const ctx = contextFromJson(j);
          if (ctx.openCase && !ctx.duplicate && !ctx.echo && j.config !== null && j.config !== undefined) {
            if (this.contexts.size >= 10_000) this.contexts.delete(this.contexts.keys().next().value!);
            // Dedupe is the write's job on a remembered context: its unique platform-id row refuses a redelivery.
            this.contexts.set(key, { json: { ...j, inserted: true, seen: null, number: null }, config: Number(j.config) });
          }
          return ctx;
        },
        commit: async (cs) => {
          if (remembered !== undefined) cs.configVersion = remembered;
          const group = this.group && isPlainAppend(cs) ? this.group : null;
          const st = group ? null : changeSetSql(cs);
          if (!group && !st) return;
          try {
            // A batch needs a pooled connection of its own: waiting for it while holding one could drain the pool.
            if (group) {
              release();
              await group.submit(cs);
            } else await query(st!.text, st!.params, st!.name);
          } catch (err) {
            if (key) this.contexts.delete(key);
            if (RETRYABLE_PG.has(pgCode(err) ?? '')) throw new ConflictError(describeError(err));
            throw err;
          }
          if (queuesOutbox(cs)) this.onOutboxQueued?.();
          // A plain append leaves the context as it was; anything else (a clock, a status, a new contact) changes it.
          if (key && (cs.updates.length || cs.inserts.some((i) => CONTEXT_TABLES.has(i.table)))) this.contexts.delete(key);
        },
      });
    } finally {
      release();
    }
  }

  /** Called after a commit that queued outbox rows (wakes this instance's drainer; NOTIFY wakes the others). */
  onOutboxQueued: (() => void) | null = null;

  async tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        let queued = false;
        const out = await this.db.transaction((tx) => fn(new DrizzleTx(tx as unknown as Db, this.kind, undefined, () => (queued = true))));
        if (queued) this.onOutboxQueued?.();
        return out;
      } catch (err) {
        // The transaction left nothing behind, so running it again is safe.
        if (attempt < 4 && RETRYABLE_PG.has(pgCode(err) ?? '')) continue;
        throw err;
      }
    }
  }
}

export function pgCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && i < 5; i++, e = e.cause as typeof e) if (typeof e.code === 'string') return e.code;
  return undefined;
}

export class DrizzleTx implements StoreTx {
  private readonly raw: RawQuery;
  constructor(
    private readonly db: Db,
    kind: DriverKind,
    raw?: RawQuery,
    /** Told when this transaction queued outbox rows, so the store can wake the drainer once it commits. */
    private readonly queued?: () => void,
  ) {
    this.raw = raw ?? rawQuery(db, kind);
  }

  async intakeJson(env: InboundEnvelope, now: Date, mode: 'record' | 'read'): Promise<IntakeJson> {
    const q = intakeQuery(env, now, mode);
    const raw = (await this.raw(q.text, q.params))[0].ctx as IntakeJson | string;
    return typeof raw === 'string' ? JSON.parse(raw) : raw;
  }

  async intakeContext(env: InboundEnvelope, now: Date, mode: 'record' | 'read' = 'record'): Promise<IntakeContext> {
    return contextFromJson(await this.intakeJson(env, now, mode));
  }

  async apply(cs: ChangeSet): Promise<void> {
    const st = changeSetSql(cs);
    if (st) await this.raw(st.text, st.params, st.name);
    if (queuesOutbox(cs)) this.queued?.();
  }

  async recordDelivery(d: { channel: string; scope: string; id: string }, now: Date): Promise<boolean> {
    const rows = await this.db
      .insert(s.inboundDeliveries)
      .values({ channel: d.channel, scope: d.scope, deliveryId: d.id, receivedAt: now })
      .onConflictDoNothing()
      .returning({ id: s.inboundDeliveries.deliveryId });
    return rows.length > 0;
  }

  redeemLinkCode(code: string, channel: string, key: string, now: Date) {
    return links.redeemLinkCode(this.db, code, channel, key, now);
  }

  linkCode(code: string) {
    return links.linkCode(this.db, code);
  }

  lastClientMessageRef(caseId: string) {
    return links.lastClientMessageRef(this.db, caseId);
  }

  async messageByPlatformId(channel: string, scope: string, externalId: string) {
    return (await links.messageByPlatformId(this.db, channel, scope, externalId)) as { message: MessageRow; caseNumber: number | null } | null;
  }

  conversationOf(channel: string, ref: { platformIds?: { scope: string; externalId: string }[]; caseNumber?: number }) {
    return links.conversationOf(this.db, channel, ref);
  }

  moveConversation(channel: string, from: { conversationKey: string; linkKey?: string }, to: { conversationKey: string; linkKey?: string; address: unknown }) {
    return links.moveConversation(this.db, channel, from, to);
  }

  async nextCaseNumber(): Promise<number> {
    const res = await this.db.execute(sql`SELECT nextval('case_number_seq')::int AS n`);
    return Number((res as unknown as { rows: { n: number }[] }).rows[0].n);
  }

  async loadCase(ref: { id?: string; number?: number }, opts: { lock?: boolean } = {}): Promise<CaseAggregate | null> {
    const where = ref.id ? eq(s.cases.id, ref.id) : ref.number !== undefined ? eq(s.cases.number, ref.number) : undefined;
    if (!where) return null;
    const q = this.db.select().from(s.cases).where(where).limit(1);
    const [kase] = (opts.lock === false ? await q : await q.for('update')) as CaseRow[];
    if (!kase) return null;
    const client = (await this.getClient(kase.clientId))!;
    const contact = kase.contactId ? ((await this.db.select().from(s.contacts).where(eq(s.contacts.id, kase.contactId)))[0] ?? null) : null;
    return this.aggregate(kase, client, contact, await this.clientSettings(client));
  }

  private async aggregate(
    kase: CaseRow, client: ClientRow, contact: CaseAggregate['contact'], settings: { calendar: CalendarSpec; policy: PolicySpec },
  ): Promise<CaseAggregate> {
    const clocks = (await this.db
      .select()
      .from(s.slaClocks)
      .where(and(eq(s.slaClocks.caseId, kase.id), inArray(s.slaClocks.state, ['running', 'missed']), inArray(s.slaClocks.kind, ['response', 'eta'])))) as ClockRow[];
    const [eta] = await this.db.select().from(s.etas).where(eq(s.etas.caseId, kase.id)).orderBy(desc(s.etas.revision)).limit(1);
    const standing = eta && eta.state === 'standing' && !eta.closedAt ? eta : null;
    return {
      case: kase,
      client,
      contact,
      manager: kase.managerId ? await this.getManager(kase.managerId) : null,
      ...settings,
      responseClock: clocks.find((c) => c.kind === 'response' && c.state === 'running') ?? null,
      eta: standing,
      etaClock: standing ? (clocks.find((c) => c.etaId === standing.id && c.state === 'running') ?? null) : null,
      lastEtaRevision: eta?.revision ?? 0,
    };
  }

  async getManager(id: string): Promise<ManagerRow | null> {
    const [m] = await this.db.select().from(s.managers).where(eq(s.managers.id, id)).limit(1);
    return m ?? null;
  }

  listManagers(): Promise<ManagerRow[]> {
    return this.db.select().from(s.managers).orderBy(asc(s.managers.createdAt));
  }

  async getClient(id: string): Promise<ClientRow | null> {
    const [c] = await this.db.select().from(s.clients).where(eq(s.clients.id, id)).limit(1);
    return (c as ClientRow) ?? null;
  }

  async clientSettings(client: ClientRow): Promise<{ calendar: CalendarSpec; policy: PolicySpec }> {
    const [cal] = client.calendarId ? await this.db.select().from(s.calendars).where(eq(s.calendars.id, client.calendarId)) : [];
    const [pol] = client.policyId ? await this.db.select().from(s.policies).where(eq(s.policies.id, client.policyId)) : [];
    return { calendar: cal?.spec ?? DEFAULT_CALENDAR, policy: effectivePolicy(pol?.spec) };
  }

  openCasesOfClient(clientId: string): Promise<CaseRow[]> {
    return this.db.select().from(s.cases).where(and(eq(s.cases.clientId, clientId), ne(s.cases.status, 'resolved'))).orderBy(asc(s.cases.number)) as Promise<CaseRow[]>;
  }

  openCasesOfManager(managerId: string): Promise<CaseRow[]> {
    return this.db.select().from(s.cases).where(and(eq(s.cases.managerId, managerId), ne(s.cases.status, 'resolved'), isNull(s.cases.coveringForManagerId))) as Promise<CaseRow[]>;
  }

  casesCoveredFor(managerId: string, lock: 'wait' | 'skip'): Promise<CaseRow[]> {
    return this.db
      .select()
      .from(s.cases)
      .where(and(eq(s.cases.coveringForManagerId, managerId), ne(s.cases.status, 'resolved')))
      .for('update', lock === 'skip' ? { skipLocked: true } : {}) as Promise<CaseRow[]>;
  }

  async runningClocks(caseId: string): Promise<ClockRow[]> {
    return (await this.db.select().from(s.slaClocks).where(and(eq(s.slaClocks.caseId, caseId), eq(s.slaClocks.state, 'running')))) as ClockRow[];
  }

  openMilestones(caseId: string) {
    return this.db.select().from(s.milestones).where(and(eq(s.milestones.caseId, caseId), isNull(s.milestones.doneAt)));
  }

  async featureQueue() {
    return this.db
      .select({
        id: s.featureRequests.id, clientId: s.featureRequests.clientId, clientName: s.clients.name, tier: s.clients.tier,
        text: s.featureRequests.text, status: s.featureRequests.status, createdAt: s.featureRequests.createdAt, caseNumber: s.cases.number,
      })
      .from(s.featureRequests)
      .innerJoin(s.clients, eq(s.clients.id, s.featureRequests.clientId))
      .innerJoin(s.cases, eq(s.cases.id, s.featureRequests.caseId))
      .where(sql`${s.featureRequests.status} NOT IN ('done', 'declined')`)
      // Premium before standard (SPEC §6), then oldest first.
      .orderBy(sql`CASE WHEN ${s.clients.tier} = 'premium' THEN 0 ELSE 1 END`, asc(s.featureRequests.createdAt));
  }

  async featureRequest(id: string) {
    const [f] = await this.db.select().from(s.featureRequests).where(eq(s.featureRequests.id, id)).for('update');
    return f ?? null;
  }

  async latestCaseOfClient(clientId: string): Promise<CaseRow | null> {
    const [c] = await this.db.select().from(s.cases).where(eq(s.cases.clientId, clientId)).orderBy(desc(s.cases.openedAt)).limit(1);
    return (c as CaseRow) ?? null;
  }

  async milestoneWithClock(id: string) {
    const [m] = await this.db.select().from(s.milestones).where(eq(s.milestones.id, id)).for('update');
    if (!m) return null;
    const [clock] = await this.db.select().from(s.slaClocks).where(eq(s.slaClocks.milestoneId, id));
    return { milestone: m, clock: (clock as ClockRow) ?? null };
  }

  async dueClocks(now: Date, limit: number): Promise<{ id: string; caseId: string }[]> {
    return this.db
      .select({ id: s.slaClocks.id, caseId: s.slaClocks.caseId })
      .from(s.slaClocks)
      .where(sql`${s.slaClocks.nextFireAt} IS NOT NULL AND ${s.slaClocks.nextFireAt} <= ${now}`)
      .orderBy(asc(s.slaClocks.nextFireAt))
      .limit(limit);
  }

  async lockDueClock(caseId: string, clockId: string, now: Date): Promise<ClockRow | null> {
    // Case first, then clock: the order every command takes, so ticker and commands never deadlock. A case another
    // instance (or a command) holds is skipped; the next tick comes back to it.
    const [kase] = await this.db.select({ id: s.cases.id }).from(s.cases).where(eq(s.cases.id, caseId)).for('update', { skipLocked: true });
    if (!kase) return null;
    const [clock] = await this.db
      .select()
      .from(s.slaClocks)
      .where(and(eq(s.slaClocks.id, clockId), sql`${s.slaClocks.nextFireAt} IS NOT NULL AND ${s.slaClocks.nextFireAt} <= ${now}`))
      .for('update');
    return (clock as ClockRow) ?? null;
  }

  async clockFailures(caseId: string, clockId: string): Promise<{ since: Date; lastReason: string } | null> {
    const e = s.clockEvents;
    // Only failures after the clock's last other event: a clock that recovered and fails again starts afresh.
    const [row] = await this.db
      .select({ since: sql<Date | string | null>`min(${e.at})`, lastReason: sql<string | null>`(array_agg(${e.reason} ORDER BY ${e.id} DESC))[1]` })
      .from(e)
      .where(sql`${e.caseId} = ${caseId} AND ${e.clockId} = ${clockId} AND ${e.type} = 'failed' AND ${e.id} > coalesce((
        SELECT max(x.id) FROM clock_events x WHERE x.case_id = ${caseId} AND x.clock_id = ${clockId} AND x.type <> 'failed'), 0)`);
    return row?.since ? { since: new Date(row.since), lastReason: row.lastReason ?? '' } : null;
  }

  async claimOutbox(now: Date, limit: number, leaseMs: number, lane?: OutboxLane): Promise<OutboxClaim[]> {
    const o = s.outbox;
    // Claimable: pending and due, or a lease that ran out (its sender crashed). Only the oldest unsent row of a
    // conversation, so messages reach a client in order.
    const candidates = this.db
      .select({ id: o.id })
      .from(o)
      .where(and(
        sql`((${o.status} = 'pending' AND ${o.nextAttemptAt} <= ${now}) OR (${o.status} = 'sending' AND ${o.leaseUntil} <= ${now}))
          AND NOT EXISTS (SELECT 1 FROM outbox o2 WHERE o2.conversation_key = ${o.conversationKey} AND o2.id < ${o.id} AND o2.status IN ('pending', 'sending'))`,
        !lane ? undefined : 'channels' in lane ? inArray(o.channel, lane.channels) : lane.except.length ? notInArray(o.channel, lane.except) : undefined,
      ))
      .orderBy(asc(o.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(o)
      .set({ status: 'sending', leaseUntil: new Date(now.getTime() + leaseMs), leaseToken: sql`gen_random_uuid()` })
      .where(inArray(o.id, candidates))
      .returning();
    return rows.map((r) => ({
      id: r.id, caseId: r.caseId, messageId: r.messageId, target: r.target as OutboxClaim['target'], channel: r.channel,
      conversationKey: r.conversationKey, address: r.address, payload: r.payload, attempts: r.attempts, deadlineAt: r.deadlineAt,
      leaseUntil: r.leaseUntil!, token: r.leaseToken!, stepsDone: r.stepsDone, externalIds: r.externalIds, lastError: r.lastError,
    }));
  }

  async renewOutbox(tokens: string[], leaseUntil: Date): Promise<string[]> {
    if (!tokens.length) return [];
    const rows = await this.db
      .update(s.outbox)
      .set({ leaseUntil })
      .where(and(eq(s.outbox.status, 'sending'), inArray(s.outbox.leaseToken, tokens)))
      .returning({ token: s.outbox.leaseToken });
    return rows.map((r) => r.token!);
  }

  async recordOutboxStep(id: number, token: string, step: string, externalIds: string[]): Promise<boolean> {
    const o = s.outbox;
    const rows = await this.db
      .update(o)
      .set({
        stepsDone: sql`${o.stepsDone} || ${JSON.stringify([step])}::jsonb`,
        externalIds: sql`${o.externalIds} || ${JSON.stringify(externalIds)}::jsonb`,
      })
      .where(and(eq(o.id, id), eq(o.status, 'sending'), eq(o.leaseToken, token)))
      .returning({ id: o.id });
    return rows.length > 0;
  }

  async finishOutbox(id: number, token: string, patch: OutboxFinish): Promise<boolean> {
    // Only while the row is still ours: a sender whose lease ran out (it stalled) may have lost it to another instance.
    const rows = await this.db
      .update(s.outbox)
      .set({ ...patch, leaseUntil: null, leaseToken: null })
      .where(and(eq(s.outbox.id, id), eq(s.outbox.status, 'sending'), eq(s.outbox.leaseToken, token)))
      .returning({ id: s.outbox.id });
    return rows.length > 0;
  }
}

const queuesOutbox = (cs: ChangeSet) => cs.inserts.some((i) => i.table === 'outbox');

const CONTEXT_TABLES = new Set(['slaClocks', 'cases', 'contacts', 'identities', 'clients', 'clientLinks', 'etas']);

/** The intake query's JSON → the context core decides on (fresh objects every time: core may mutate them). */
function contextFromJson(j: IntakeJson): IntakeContext {
  const client = fromJsonRow<ClientRow>(j.client);
  const calendar = j.calendar ?? DEFAULT_CALENDAR;
  const policy = effectivePolicy(j.policy);
  const base = {
    contact: fromJsonRow<ContactRow>(j.contact), client, calendar, policy, triage: j.triage ?? DEFAULT_TRIAGE,
    managers: (j.managers ?? []).map((m) => fromJsonRow<ManagerRow>(m)!), openCase: null, lastResolved: null,
    newCaseNumber: j.number === null ? null : Number(j.number),
  };
  if (!j.inserted) return { ...base, duplicate: true, echo: false };
  if (j.seen?.includes('outbound')) return { ...base, duplicate: false, echo: true };
  // The same platform message under a new delivery id (some platforms re-wrap redeliveries).
  if (j.seen?.length) return { ...base, duplicate: true, echo: false };
  const kase = fromJsonRow<CaseRow>(j.case);
  if (!kase || !client) return { ...base, duplicate: false, echo: false, lastResolved: null };
  if (kase.status === 'resolved') return { ...base, duplicate: false, echo: false, lastResolved: kase };
  const clocks = (j.clocks ?? []).map((c) => fromJsonRow<ClockRow>(c)!);
  const eta = fromJsonRow<EtaRow>(j.eta);
  const standing = eta && eta.state === 'standing' && !eta.closedAt ? eta : null;
  const openCase: CaseAggregate = {
    case: kase, client, contact: base.contact, calendar, policy,
    manager: base.managers.find((m) => m.id === kase.managerId) ?? null,
    responseClock: clocks.find((c) => c.kind === 'response') ?? null,
    eta: standing,
    etaClock: standing ? (clocks.find((c) => c.etaId === standing.id) ?? null) : null,
    lastEtaRevision: eta?.revision ?? 0,
  };
  return { ...base, duplicate: false, echo: false, openCase };
}
