import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases, etas, milestones } from './cases';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * A response clock, an ETA commitment or a milestone. `next_fire_at` is the next instant the ticker must look at
 * (a warning, the breach, the ETA deadline); null once nothing more can fire. Due times are stored, never
 * recomputed on read, so a deadline shown once stays explainable.
 */
export const slaClocks = pgTable(
  'sla_clocks',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    kind: text('kind').notNull(),
    urgency: text('urgency').notNull(),
    hours: text('hours').notNull(),
    targetMinutes: integer('target_minutes').notNull(),
    startedAt: ts('started_at').notNull(),
    dueAt: ts('due_at').notNull(),
    // running → met | breached | cancelled (breached is set when a response comes late)
    state: text('state').notNull().default('running'),
    stoppedAt: ts('stopped_at'),
    breachedAt: ts('breached_at'),
    warnAt: jsonb('warn_at').$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    warned: jsonb('warned').$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    nextFireAt: ts('next_fire_at'),
    etaId: uuid('eta_id').references(() => etas.id),
    milestoneId: uuid('milestone_id').references(() => milestones.id),
  },
  (t) => [
    index('sla_clocks_case_idx').on(t.caseId),
    // The ticker only ever reads pending timers; keeping them in a partial index keeps a poll over
    // 100k open clocks sub-millisecond.
    index('sla_clocks_next_fire_idx').on(t.nextFireAt).where(sql`next_fire_at IS NOT NULL`),
    // At most one running response clock per case, whatever races: the loser of two messages that both decided to
    // start one fails here and re-reads.
    uniqueIndex('sla_clocks_one_running_response').on(t.caseId).where(sql`kind = 'response' AND state = 'running'`),
  ],
);

export const clockEvents = pgTable(
  'clock_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    clockId: uuid('clock_id').notNull().references(() => slaClocks.id),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    at: ts('at').notNull(),
    type: text('type').notNull(),
    reason: text('reason').notNull(),
    data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index('clock_events_case_idx').on(t.caseId, t.id)],
);

