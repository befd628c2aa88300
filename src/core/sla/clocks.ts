// The SLA clock rules of SPEC §3 as pure functions over clock rows. Every change is written to a ChangeSet
// together with a clock event carrying its reason, so any deadline can be explained later.
import { randomUUID } from 'node:crypto';
import type { ChangeSet } from '../changes';
import type { CalendarSpec, HoursMode, PolicySpec, Urgency } from '../model';
import type { ClockRow } from '../records';
import { BusinessCalendar } from './calendar';
import { targetFor } from './policy';

const calendars = new Map<string, BusinessCalendar>();

/** Calendars are immutable specs; one parsed instance per distinct spec keeps its per-day cache warm. */
export function calendarFor(spec: CalendarSpec): BusinessCalendar {
  const key = JSON.stringify(spec);
  let cal = calendars.get(key);
  if (!cal) {
    if (calendars.size > 500) calendars.clear();
    cal = new BusinessCalendar(spec);
    calendars.set(key, cal);
  }
  return cal;
}

const MINUTE = 60_000;

/** `minutes` of target time after `start`, counted around the clock or in business hours. */
export function addTargetTime(start: Date, minutes: number, hours: HoursMode | string, calendar: CalendarSpec): Date {
  if (hours === '24x7') return new Date(start.getTime() + minutes * MINUTE);
  return calendarFor(calendar).addWorkingTime(start, minutes * MINUTE);
}

export function warningTimes(clock: ClockRow, calendar: CalendarSpec): { fraction: number; at: Date }[] {
  return clock.warnAt
    .filter((f) => f > 0 && f < 1)
    .sort((a, b) => a - b)
    .map((fraction) => ({ fraction, at: addTargetTime(clock.startedAt, clock.targetMinutes * fraction, clock.hours, calendar) }));
}

/** The next instant the ticker must look at this clock, or null when nothing more can fire. */
export function nextFireAt(clock: ClockRow, calendar: CalendarSpec): Date | null {
  if (clock.state !== 'running') return null;
  if (clock.kind !== 'response') return clock.dueAt;
  if (clock.breachedAt) return null;
  const pending = warningTimes(clock, calendar).filter((w) => !clock.warned.includes(w.fraction));
  return pending.length ? pending[0].at : clock.dueAt;
}

export function startResponseClock(
  cs: ChangeSet,
  args: { caseId: string; urgency: Urgency; policy: PolicySpec; calendar: CalendarSpec; now: Date; reason: string },
): ClockRow {
  const target = targetFor(args.policy, args.urgency);
  const clock: ClockRow = {
    id: randomUUID(),
    caseId: args.caseId,
    kind: 'response',
    urgency: args.urgency,
    hours: target.hours,
    targetMinutes: target.minutes,
    startedAt: args.now,
    dueAt: addTargetTime(args.now, target.minutes, target.hours, args.calendar),
    state: 'running',
    stoppedAt: null,
    breachedAt: null,
    warnAt: [...args.policy.warnAt],
    warned: [],
    nextFireAt: null,
    etaId: null,
    milestoneId: null,
  };
  clock.nextFireAt = nextFireAt(clock, args.calendar);
  cs.insert('slaClocks', clock);
  event(cs, clock, args.now, 'started', args.reason, {
    urgency: args.urgency, targetMinutes: target.minutes, hours: target.hours, dueAt: clock.dueAt.toISOString(),
  });
  return clock;
}

/** A deadline that is not a response target: an ETA or a funnel milestone. It fires once, when it passes. */
export function startDeadlineClock(
  cs: ChangeSet,
  args: { caseId: string; kind: 'eta' | 'milestone'; urgency: string; dueAt: Date; now: Date; reason: string; etaId?: string; milestoneId?: string },
): ClockRow {
  const clock: ClockRow = {
    id: randomUUID(),
    caseId: args.caseId,
    kind: args.kind,
    urgency: args.urgency,
    hours: '24x7',
    targetMinutes: Math.max(0, Math.round((args.dueAt.getTime() - args.now.getTime()) / MINUTE)),
    startedAt: args.now,
    dueAt: args.dueAt,
    state: 'running',
    stoppedAt: null,
    breachedAt: null,
    warnAt: [],
    warned: [],
    nextFireAt: args.dueAt,
    etaId: args.etaId ?? null,
    milestoneId: args.milestoneId ?? null,
  };
  cs.insert('slaClocks', clock);
  event(cs, clock, args.now, 'started', args.reason, { dueAt: args.dueAt.toISOString() });
  return clock;
}

/** A response (or a resolution, an ETA, a request for details) stops the clock: met before the due time, else breached. */
export function stopClock(cs: ChangeSet, clock: ClockRow, now: Date, reason: string): 'met' | 'breached' | 'missed' {
  // "Met if before the due time, breached otherwise" (SPEC §3): at the due instant itself it is late, as fireDue says.
  const late = now.getTime() >= clock.dueAt.getTime();
  const state = clock.kind === 'response' ? (late ? 'breached' : 'met') : late ? 'missed' : 'met';
  const patch = { state, stoppedAt: now, nextFireAt: null };
  Object.assign(clock, patch);
  cs.update('slaClocks', clock.id, patch);
  event(cs, clock, now, state, reason, { dueAt: clock.dueAt.toISOString() });
  return state;
}

export function cancelClock(cs: ChangeSet, clock: ClockRow, now: Date, reason: string): void {
  const patch = { state: 'cancelled', stoppedAt: now, nextFireAt: null };
  Object.assign(clock, patch);
  cs.update('slaClocks', clock.id, patch);
  event(cs, clock, now, 'cancelled', reason, {});
}

/** Urgency changed: the due time is recomputed from the original start (time already used stays used). */
export function recomputeClock(
  cs: ChangeSet,
  clock: ClockRow,
  args: { urgency: Urgency; policy: PolicySpec; calendar: CalendarSpec; now: Date; reason: string },
): void {
  const target = targetFor(args.policy, args.urgency);
  const before = clock.dueAt;
  const dueAt = addTargetTime(clock.startedAt, target.minutes, target.hours, args.calendar);
  const moved = dueAt.getTime() !== before.getTime();
  const patch: Partial<ClockRow> = {
    urgency: args.urgency,
    hours: target.hours,
    targetMinutes: target.minutes,
    dueAt,
    // A moved deadline re-arms its warnings; a breach that is no longer a breach is taken back.
    warned: moved ? [] : clock.warned,
    breachedAt: moved && dueAt.getTime() > args.now.getTime() ? null : clock.breachedAt,
  };
  Object.assign(clock, patch);
  clock.nextFireAt = nextFireAt(clock, args.calendar);
  cs.update('slaClocks', clock.id, { ...patch, nextFireAt: clock.nextFireAt });
  event(cs, clock, args.now, 'recomputed', args.reason, {
    urgency: args.urgency, from: before.toISOString(), dueAt: dueAt.toISOString(), targetMinutes: target.minutes, hours: target.hours,
  });
}

export type ClockAlert =
  | { type: 'sla_warning'; fraction: number }
  | { type: 'sla_breach' }
  | { type: 'eta_missed' }
  | { type: 'milestone_missed' };

/**
 * What a due clock fires now. After downtime several warnings may be pending: only the most urgent one is sent
 * (a breach beats any warning) and the rest are marked done.
 */
export function fireDue(cs: ChangeSet, clock: ClockRow, calendar: CalendarSpec, now: Date): ClockAlert | null {
  if (clock.state !== 'running') {
    cs.update('slaClocks', clock.id, { nextFireAt: null });
    return null;
  }
  const t = now.getTime();
  if (clock.kind !== 'response') {
    if (clock.dueAt.getTime() > t) return null;
    const patch = { state: 'missed', stoppedAt: now, nextFireAt: null };
    Object.assign(clock, patch);
    cs.update('slaClocks', clock.id, patch);
    event(cs, clock, now, 'missed', clock.kind === 'eta' ? 'the ETA passed without a resolution' : 'the milestone date passed', {
      dueAt: clock.dueAt.toISOString(),
    });
    return clock.kind === 'eta' ? { type: 'eta_missed' } : { type: 'milestone_missed' };
  }
  const due = warningTimes(clock, calendar).filter((w) => !clock.warned.includes(w.fraction) && w.at.getTime() <= t);
  let alert: ClockAlert | null = null;
  if (!clock.breachedAt && clock.dueAt.getTime() <= t) {
    clock.breachedAt = now;
    clock.warned = [...new Set([...clock.warned, ...clock.warnAt])];
    alert = { type: 'sla_breach' };
    event(cs, clock, now, 'breached', 'due time passed with no response', { dueAt: clock.dueAt.toISOString() });
    for (const w of due) event(cs, clock, now, 'warning_skipped', 'superseded by the breach', { fraction: w.fraction });
  } else if (due.length) {
    const top = due[due.length - 1];
    clock.warned = [...clock.warned, ...due.map((w) => w.fraction)];
    alert = { type: 'sla_warning', fraction: top.fraction };
    event(cs, clock, now, 'warned', `${Math.round(top.fraction * 100)}% of the target used`, { fraction: top.fraction, dueAt: clock.dueAt.toISOString() });
    for (const w of due.slice(0, -1)) event(cs, clock, now, 'warning_skipped', 'a later warning was due too (downtime)', { fraction: w.fraction });
  }
  clock.nextFireAt = nextFireAt(clock, calendar);
  cs.update('slaClocks', clock.id, { warned: clock.warned, breachedAt: clock.breachedAt, nextFireAt: clock.nextFireAt });
  return alert;
}

/** The SLA state shown for a case (SPEC §7): a running clock past its due time reads as breached. */
export function slaState(
  caseStatus: string,
  clock: Pick<ClockRow, 'state' | 'dueAt' | 'startedAt'> | null,
  now: Date,
): { state: 'running' | 'met' | 'breached' | 'paused' | 'none'; dueAt: Date | null; startedAt: Date | null } {
  if (caseStatus === 'waiting_on_client') return { state: 'paused', dueAt: null, startedAt: clock?.startedAt ?? null };
  if (!clock || clock.state === 'cancelled') return { state: 'none', dueAt: null, startedAt: null };
  const state =
    clock.state === 'running' ? (clock.dueAt.getTime() <= now.getTime() ? 'breached' : 'running') : clock.state === 'met' ? 'met' : 'breached';
  return { state, dueAt: clock.dueAt, startedAt: clock.startedAt };
}

function event(cs: ChangeSet, clock: ClockRow, at: Date, type: string, reason: string, data: Record<string, unknown>) {
  cs.insert('clockEvents', { clockId: clock.id, caseId: clock.caseId, at, type, reason, data: { kind: clock.kind, ...data } });
}
