// SLA clock rules (SPEC §3) as pure functions: time is always passed in as a fixed instant.
import { DateTime, Settings } from 'luxon';
import { ChangeSet } from '../../src/core/changes';
import type { CalendarSpec, PolicySpec, Urgency } from '../../src/core/model';
import type { ClockEventRow, ClockRow } from '../../src/core/records';
import { DEFAULT_CALENDAR } from '../../src/core/sla/calendar';
import {
  addTargetTime,
  fireDue,
  nextFireAt,
  recomputeClock,
  slaState,
  startDeadlineClock,
  startResponseClock,
  stopClock,
  warningTimes,
} from '../../src/core/sla/clocks';
import { DEFAULT_POLICY, effectivePolicy, fitProblems, validatePolicy } from '../../src/core/sla/policy';
import { checkCallSlot, earliestCallSlot } from '../../src/core/client-actions';
import { leanestYear, validateCalendar } from '../../src/core/sla/calendar';

const MSK = 'Europe/Moscow';
const CAL: CalendarSpec = DEFAULT_CALENDAR;

/** ISO with explicit offset -> Date. */
const d = (iso: string): Date => {
  const dt = DateTime.fromISO(iso, { setZone: true });
  if (!dt.isValid) throw new Error(`bad test instant ${iso}`);
  return dt.toJSDate();
};
/** Moscow wall time -> Date. */
const msk = (wall: string): Date => d(`${wall}+03:00`);
const iso = (at: Date | null | undefined): string | null => (at ? at.toISOString() : null);
const local = (at: Date | null): string | null => (at ? DateTime.fromJSDate(at, { zone: MSK }).toFormat("ccc yyyy-MM-dd'T'HH:mm:ss") : null);

// Fixed dates (June 2024): Fri 7, Sat 8, Sun 9, Mon 10, Tue 11, Wed 12.

/** The single slaClocks patch a step wrote. */
const clockPatch = (cs: ChangeSet): Partial<ClockRow> => {
  const ups = cs.updates.filter((u) => u.table === 'slaClocks');
  expect(ups).toHaveLength(1);
  return ups[0].patch as Partial<ClockRow>;
};
const events = (cs: ChangeSet): ClockEventRow[] => cs.rows('clockEvents');
const eventSummary = (cs: ChangeSet) => events(cs).map((e) => ({ type: e.type, reason: e.reason }));

function start(urgency: Urgency, now: Date, policy: PolicySpec = DEFAULT_POLICY, calendar: CalendarSpec = CAL) {
  const cs = new ChangeSet();
  const clock = startResponseClock(cs, { caseId: 'case-1', urgency, policy, calendar, now, reason: 'client message opened the case' });
  return { cs, clock };
}

/** Runs fireDue in a fresh ChangeSet so the step's own writes can be inspected. */
function fire(clock: ClockRow, now: Date, calendar: CalendarSpec = CAL) {
  const cs = new ChangeSet();
  const alert = fireDue(cs, clock, calendar, now);
  return { cs, alert };
}

describe('startResponseClock: default targets (SPEC §3)', () => {
  it('critical is 15 minutes around the clock: Saturday 03:00 Moscow -> 03:15 the same day', () => {
    const now = msk('2024-06-08T03:00:00');
    const { cs, clock } = start('critical', now);
    expect(iso(clock.dueAt)).toBe('2024-06-08T00:15:00.000Z');
    expect(local(clock.dueAt)).toBe('Sat 2024-06-08T03:15:00');
    expect(clock.state).toBe('running');
    expect(clock.kind).toBe('response');
    expect(clock.hours).toBe('24x7');
    expect(clock.targetMinutes).toBe(15);
    expect(iso(clock.startedAt)).toBe(iso(now));
    expect(clock.warned).toEqual([]);
    expect(clock.warnAt).toEqual([0.5, 0.8]);
    // first thing to look at: the 50 % warning, 7.5 minutes in
    expect(iso(clock.nextFireAt)).toBe('2024-06-08T00:07:30.000Z');

    // the row and its 'started' event are both in the change set
    expect(cs.rows('slaClocks')).toEqual([clock]);
    expect(eventSummary(cs)).toEqual([{ type: 'started', reason: 'client message opened the case' }]);
    const ev = events(cs)[0];
    expect(ev.clockId).toBe(clock.id);
    expect(ev.caseId).toBe('case-1');
    expect(iso(ev.at)).toBe(iso(now));
    expect(ev.data).toMatchObject({ kind: 'response', urgency: 'critical', targetMinutes: 15, hours: '24x7', dueAt: '2024-06-08T00:15:00.000Z' });
  });

  it('critical late Friday evening runs through the night (no business hours)', () => {
    const { clock } = start('critical', msk('2024-06-07T23:50:00'));
    expect(local(clock.dueAt)).toBe('Sat 2024-06-08T00:05:00');
  });

  it('medium on Friday 18:30 Moscow is due Monday 10:30 Moscow (business hours)', () => {
    const { cs, clock } = start('medium', msk('2024-06-07T18:30:00'));
    expect(iso(clock.dueAt)).toBe('2024-06-10T07:30:00.000Z');
    expect(local(clock.dueAt)).toBe('Mon 2024-06-10T10:30:00');
    expect(clock.hours).toBe('business');
    expect(clock.targetMinutes).toBe(60);
    expect(events(cs)[0].data).toMatchObject({ urgency: 'medium', hours: 'business', dueAt: '2024-06-10T07:30:00.000Z' });
    // warnings are counted in business time too: 30 min -> Fri 19:00; 48 min -> Mon 10:18
    expect(warningTimes(clock, CAL).map((w) => [w.fraction, local(w.at)])).toEqual([
      [0.5, 'Fri 2024-06-07T19:00:00'],
      [0.8, 'Mon 2024-06-10T10:18:00'],
    ]);
  });

  it('low is 1 hour in business hours; a message before opening counts from 10:00', () => {
    const { clock } = start('low', msk('2024-06-11T08:00:00'));
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T11:00:00');
  });

  it('high is 30 minutes in business hours', () => {
    expect(local(start('high', msk('2024-06-11T12:00:00')).clock.dueAt)).toBe('Tue 2024-06-11T12:30:00');
    // Friday 18:50: 10 min on Friday, 20 min on Monday
    const { clock } = start('high', msk('2024-06-07T18:50:00'));
    expect(iso(clock.dueAt)).toBe('2024-06-10T07:20:00.000Z');
    expect(clock.targetMinutes).toBe(30);
  });

  it('informational and feature are 5 hours in business hours, spanning days', () => {
    // Tuesday 16:00: 3 h on Tuesday, 2 h on Wednesday
    for (const u of ['informational', 'feature'] as const) {
      const { clock } = start(u, msk('2024-06-11T16:00:00'));
      expect(iso(clock.dueAt)).toBe('2024-06-12T09:00:00.000Z');
      expect(local(clock.dueAt)).toBe('Wed 2024-06-12T12:00:00');
      expect(clock.targetMinutes).toBe(300);
    }
    // Friday 17:00: 2 h on Friday, 3 h on Monday
    expect(local(start('feature', msk('2024-06-07T17:00:00')).clock.dueAt)).toBe('Mon 2024-06-10T13:00:00');
  });

  it('addTargetTime: 24x7 is plain arithmetic, business uses the calendar', () => {
    const sat = msk('2024-06-08T12:00:00');
    expect(iso(addTargetTime(sat, 60, '24x7', CAL))).toBe('2024-06-08T10:00:00.000Z');
    expect(local(addTargetTime(sat, 60, 'business', CAL))).toBe('Mon 2024-06-10T11:00:00');
  });
});

describe('policy overrides', () => {
  it('effectivePolicy merges a partial policy over the defaults', () => {
    const p = effectivePolicy({ targets: { medium: { minutes: 120, hours: 'business' } } } as unknown as Partial<PolicySpec>);
    expect(p.targets.medium).toEqual({ minutes: 120, hours: 'business' });
    expect(p.targets.critical).toEqual({ minutes: 15, hours: '24x7' });
    expect(p.targets.high).toEqual({ minutes: 30, hours: 'business' });
    expect(p.warnAt).toEqual([0.5, 0.8]);
    expect(p.plainReplyCounts).toBe(false);
    expect(p.reopenDays).toBe(7);
    expect(effectivePolicy(null)).toEqual(DEFAULT_POLICY);
  });

  it('a custom target changes the due time', () => {
    const now = msk('2024-06-11T12:00:00');
    expect(local(start('medium', now).clock.dueAt)).toBe('Tue 2024-06-11T13:00:00');
    const policy = effectivePolicy({ targets: { medium: { minutes: 120, hours: 'business' } } } as unknown as Partial<PolicySpec>);
    const { clock, cs } = start('medium', now, policy);
    expect(iso(clock.dueAt)).toBe('2024-06-11T11:00:00.000Z');
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T14:00:00');
    expect(clock.targetMinutes).toBe(120);
    expect(events(cs)[0].data).toMatchObject({ targetMinutes: 120, dueAt: '2024-06-11T11:00:00.000Z' });
    // other urgencies keep the defaults
    expect(local(start('high', now, policy).clock.dueAt)).toBe('Tue 2024-06-11T12:30:00');
  });

  it('a target may switch to 24x7 counting', () => {
    const policy = effectivePolicy({ targets: { high: { minutes: 30, hours: '24x7' } } } as unknown as Partial<PolicySpec>);
    const { clock } = start('high', msk('2024-06-08T03:00:00'), policy);
    expect(local(clock.dueAt)).toBe('Sat 2024-06-08T03:30:00');
    expect(clock.hours).toBe('24x7');
  });

  it('custom warning fractions are used', () => {
    const policy = effectivePolicy({ warnAt: [0.75] });
    const { clock } = start('medium', msk('2024-06-11T10:00:00'), policy);
    expect(clock.warnAt).toEqual([0.75]);
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:45:00');
  });

  it('validatePolicy reports bad targets and fractions', () => {
    expect(validatePolicy({ targets: { medium: { minutes: 30, hours: 'business' } } })).toEqual([]);
    expect(validatePolicy({ targets: { urgentish: { minutes: 30, hours: 'business' } } })).toEqual([expect.stringContaining('unknown urgency')]);
    expect(validatePolicy({ targets: { medium: { minutes: 0, hours: 'weekly' } } })).toHaveLength(2);
    expect(validatePolicy({ warnAt: [0.5, 1.2] })).toEqual([expect.stringContaining('warnAt')]);
    expect(validatePolicy([])).toEqual(['policy must be an object']);
  });
});

describe('recomputeClock: urgency change recomputes from the original start', () => {
  it('medium started 10:00, set to high at 10:20 -> due 10:30; then to low -> due 11:00; warnings re-armed each time', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T11:00:00');

    const cs1 = new ChangeSet();
    recomputeClock(cs1, clock, { urgency: 'high', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-11T10:20:00'), reason: 'manager set urgency high' });
    expect(iso(clock.dueAt)).toBe('2024-06-11T07:30:00.000Z');
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T10:30:00');
    expect(clock.urgency).toBe('high');
    expect(clock.targetMinutes).toBe(30);
    expect(iso(clock.startedAt)).toBe('2024-06-11T07:00:00.000Z'); // the start never moves
    expect(clock.state).toBe('running');
    expect(eventSummary(cs1)).toEqual([{ type: 'recomputed', reason: 'manager set urgency high' }]);
    expect(events(cs1)[0].data).toMatchObject({
      urgency: 'high', from: '2024-06-11T08:00:00.000Z', dueAt: '2024-06-11T07:30:00.000Z', targetMinutes: 30,
    });
    const upd1 = cs1.updates;
    expect(upd1).toHaveLength(1);
    expect(upd1[0]).toMatchObject({ table: 'slaClocks', id: clock.id });
    expect(iso(clockPatch(cs1).dueAt)).toBe('2024-06-11T07:30:00.000Z');
    // new warnings: 50 % of 30 min = 10:15 (already passed, so due at once), 80 % = 10:24
    expect(warningTimes(clock, CAL).map((w) => local(w.at))).toEqual(['Tue 2024-06-11T10:15:00', 'Tue 2024-06-11T10:24:00']);
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:15:00');
    expect(iso(clockPatch(cs1).nextFireAt)).toBe(iso(clock.nextFireAt));

    const w = fire(clock, msk('2024-06-11T10:20:00'));
    expect(w.alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
    expect(clock.warned).toEqual([0.5]);

    const cs2 = new ChangeSet();
    recomputeClock(cs2, clock, { urgency: 'low', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-11T10:22:00'), reason: 'client set urgency low' });
    expect(iso(clock.dueAt)).toBe('2024-06-11T08:00:00.000Z');
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T11:00:00');
    expect(eventSummary(cs2)).toEqual([{ type: 'recomputed', reason: 'client set urgency low' }]);
    expect(events(cs2)[0].data).toMatchObject({ from: '2024-06-11T07:30:00.000Z', dueAt: '2024-06-11T08:00:00.000Z' });
    // the due time moved: warnings re-armed against the new target
    expect(clock.warned).toEqual([]);
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:30:00');
    expect(fire(clock, msk('2024-06-11T10:30:00')).alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
  });

  it('a change that does not move the due time keeps the warnings already sent', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    expect(fire(clock, msk('2024-06-11T10:30:00')).alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
    const cs = new ChangeSet();
    recomputeClock(cs, clock, { urgency: 'low', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-11T10:35:00'), reason: 'manager set urgency low' });
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T11:00:00');
    expect(clock.warned).toEqual([0.5]);
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:48:00');
    // still explained
    expect(eventSummary(cs)).toEqual([{ type: 'recomputed', reason: 'manager set urgency low' }]);
  });

  it('critical (24x7) started on Saturday and lowered to medium counts business hours from that Saturday start', () => {
    const { clock } = start('critical', msk('2024-06-08T03:00:00'));
    const cs = new ChangeSet();
    recomputeClock(cs, clock, { urgency: 'medium', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-08T03:05:00'), reason: 'manager set urgency medium' });
    expect(local(clock.dueAt)).toBe('Mon 2024-06-10T11:00:00');
    expect(clock.hours).toBe('business');
  });

  it('raising urgency past the time already used makes the clock due at once (breach on the next tick)', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    const cs = new ChangeSet();
    recomputeClock(cs, clock, { urgency: 'high', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-11T10:40:00'), reason: 'manager set urgency high' });
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T10:30:00');
    expect(clock.nextFireAt!.getTime()).toBeLessThanOrEqual(msk('2024-06-11T10:40:00').getTime());
    const f = fire(clock, msk('2024-06-11T10:40:00'));
    expect(f.alert).toEqual({ type: 'sla_breach' });
    expect(eventSummary(f.cs).map((e) => e.type)).toEqual(['breached', 'warning_skipped', 'warning_skipped']);
  });

  it('a breach that moves into the future is taken back and can fire again at the new due time', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    expect(fire(clock, msk('2024-06-11T11:00:00')).alert).toEqual({ type: 'sla_breach' });
    expect(clock.breachedAt).not.toBeNull();
    const cs = new ChangeSet();
    recomputeClock(cs, clock, { urgency: 'informational', policy: DEFAULT_POLICY, calendar: CAL, now: msk('2024-06-11T11:05:00'), reason: 'manager set urgency informational' });
    expect(local(clock.dueAt)).toBe('Tue 2024-06-11T15:00:00');
    expect(clock.breachedAt).toBeNull();
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T12:30:00');
    expect(slaState('open', clock, msk('2024-06-11T11:05:00')).state).toBe('running');
  });
});

describe('stopClock', () => {
  it('a response before the due time -> met', () => {
    const { clock } = start('high', msk('2024-06-11T12:00:00'));
    const cs = new ChangeSet();
    const now = msk('2024-06-11T12:29:00');
    expect(stopClock(cs, clock, now, 'manager posted an ETA')).toBe('met');
    expect(clock.state).toBe('met');
    expect(iso(clock.stoppedAt)).toBe(iso(now));
    expect(clock.nextFireAt).toBeNull();
    expect(nextFireAt(clock, CAL)).toBeNull();
    expect(eventSummary(cs)).toEqual([{ type: 'met', reason: 'manager posted an ETA' }]);
    expect(clockPatch(cs)).toMatchObject({ state: 'met', nextFireAt: null });
    // a stopped clock fires nothing
    expect(fire(clock, msk('2024-06-11T13:00:00')).alert).toBeNull();
  });

  it('a response after the due time -> breached', () => {
    const { clock } = start('high', msk('2024-06-11T12:00:00'));
    const cs = new ChangeSet();
    expect(stopClock(cs, clock, msk('2024-06-11T12:31:00'), 'resolution')).toBe('breached');
    expect(clock.state).toBe('breached');
    expect(eventSummary(cs)).toEqual([{ type: 'breached', reason: 'resolution' }]);
    expect(clockPatch(cs)).toMatchObject({ state: 'breached' });
  });

  it('a response after the breach alert fired is still breached', () => {
    const { clock } = start('critical', msk('2024-06-08T03:00:00'));
    expect(fire(clock, msk('2024-06-08T03:16:00')).alert).toEqual({ type: 'sla_breach' });
    expect(stopClock(new ChangeSet(), clock, msk('2024-06-08T03:20:00'), 'asked for details')).toBe('breached');
  });

  it('stopping a deadline clock: met before, missed after', () => {
    const cs = new ChangeSet();
    const eta = startDeadlineClock(cs, { caseId: 'case-1', kind: 'eta', urgency: 'high', dueAt: msk('2024-06-11T15:00:00'), now: msk('2024-06-11T12:00:00'), reason: 'ETA posted' });
    expect(stopClock(cs, eta, msk('2024-06-11T14:00:00'), 'resolved')).toBe('met');
    const eta2 = startDeadlineClock(cs, { caseId: 'case-1', kind: 'eta', urgency: 'high', dueAt: msk('2024-06-11T15:00:00'), now: msk('2024-06-11T12:00:00'), reason: 'ETA posted' });
    expect(stopClock(cs, eta2, msk('2024-06-11T15:30:00'), 'resolved')).toBe('missed');
  });
});

describe('warnings and breach (fireDue / nextFireAt)', () => {
  it('50 % and 80 % each fire once, then the breach fires once', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:30:00');

    // before the first warning: nothing, no events
    const early = fire(clock, msk('2024-06-11T10:29:59'));
    expect(early.alert).toBeNull();
    expect(events(early.cs)).toEqual([]);

    const w50 = fire(clock, msk('2024-06-11T10:30:00'));
    expect(w50.alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
    expect(eventSummary(w50.cs)).toEqual([{ type: 'warned', reason: '50% of the target used' }]);
    expect(events(w50.cs)[0].data).toMatchObject({ fraction: 0.5, dueAt: '2024-06-11T08:00:00.000Z' });
    expect(clock.warned).toEqual([0.5]);
    expect(local(clock.nextFireAt)).toBe('Tue 2024-06-11T10:48:00');
    expect(clockPatch(w50.cs)).toMatchObject({ warned: [0.5] });
    expect(iso(clockPatch(w50.cs).nextFireAt)).toBe('2024-06-11T07:48:00.000Z');

    // the same instant again (a second ticker pass): nothing new
    const again = fire(clock, msk('2024-06-11T10:30:00'));
    expect(again.alert).toBeNull();
    expect(events(again.cs)).toEqual([]);
    expect(fire(clock, msk('2024-06-11T10:40:00')).alert).toBeNull();

    const w80 = fire(clock, msk('2024-06-11T10:48:00'));
    expect(w80.alert).toEqual({ type: 'sla_warning', fraction: 0.8 });
    expect(eventSummary(w80.cs)).toEqual([{ type: 'warned', reason: '80% of the target used' }]);
    expect(clock.warned).toEqual([0.5, 0.8]);
    expect(iso(clock.nextFireAt)).toBe('2024-06-11T08:00:00.000Z'); // the due time
    expect(fire(clock, msk('2024-06-11T10:50:00')).alert).toBeNull();

    const br = fire(clock, msk('2024-06-11T11:00:00'));
    expect(br.alert).toEqual({ type: 'sla_breach' });
    expect(eventSummary(br.cs)).toEqual([{ type: 'breached', reason: 'due time passed with no response' }]);
    expect(iso(clock.breachedAt)).toBe('2024-06-11T08:00:00.000Z');
    expect(clock.state).toBe('running'); // still waiting for a response; only the alert is done
    expect(clock.nextFireAt).toBeNull();
    expect(nextFireAt(clock, CAL)).toBeNull();

    const afterBreach = fire(clock, msk('2024-06-11T12:00:00'));
    expect(afterBreach.alert).toBeNull();
    expect(events(afterBreach.cs)).toEqual([]);
  });

  it('warnings over a weekend: Friday 18:30 medium warns Fri 19:00 and Mon 10:18, breaches Mon 10:30', () => {
    const { clock } = start('medium', msk('2024-06-07T18:30:00'));
    expect(local(clock.nextFireAt)).toBe('Fri 2024-06-07T19:00:00');
    expect(fire(clock, msk('2024-06-07T19:00:00')).alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
    expect(local(clock.nextFireAt)).toBe('Mon 2024-06-10T10:18:00');
    expect(fire(clock, msk('2024-06-08T12:00:00')).alert).toBeNull(); // Saturday: nothing
    expect(fire(clock, msk('2024-06-10T10:18:00')).alert).toEqual({ type: 'sla_warning', fraction: 0.8 });
    expect(local(clock.nextFireAt)).toBe('Mon 2024-06-10T10:30:00');
    expect(fire(clock, msk('2024-06-10T10:30:00')).alert).toEqual({ type: 'sla_breach' });
  });

  it('after downtime past both warnings: only the 80 % warning is sent, the 50 % is recorded as skipped', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    const f = fire(clock, msk('2024-06-11T10:55:00'));
    expect(f.alert).toEqual({ type: 'sla_warning', fraction: 0.8 });
    expect(eventSummary(f.cs)).toEqual([
      { type: 'warned', reason: '80% of the target used' },
      { type: 'warning_skipped', reason: 'a later warning was due too (downtime)' },
    ]);
    expect(events(f.cs)[1].data).toMatchObject({ fraction: 0.5 });
    expect([...clock.warned].sort()).toEqual([0.5, 0.8]);
    expect(iso(clock.nextFireAt)).toBe('2024-06-11T08:00:00.000Z');
    expect(fire(clock, msk('2024-06-11T10:56:00')).alert).toBeNull();
    expect(fire(clock, msk('2024-06-11T11:00:00')).alert).toEqual({ type: 'sla_breach' });
  });

  it('after downtime past the due time: only the breach, both warnings skipped; the breach fires once', () => {
    const { clock } = start('medium', msk('2024-06-11T10:00:00'));
    const f = fire(clock, msk('2024-06-11T11:30:00'));
    expect(f.alert).toEqual({ type: 'sla_breach' });
    expect(eventSummary(f.cs)).toEqual([
      { type: 'breached', reason: 'due time passed with no response' },
      { type: 'warning_skipped', reason: 'superseded by the breach' },
      { type: 'warning_skipped', reason: 'superseded by the breach' },
    ]);
    expect(events(f.cs).slice(1).map((e) => e.data.fraction)).toEqual([0.5, 0.8]);
    expect(iso(clock.breachedAt)).toBe('2024-06-11T08:30:00.000Z');
    expect(clock.nextFireAt).toBeNull();

    const again = fire(clock, msk('2024-06-11T11:31:00'));
    expect(again.alert).toBeNull();
    expect(events(again.cs)).toEqual([]);
  });

  it('after downtime past the due time with one warning already sent: breach, and only the unsent warning is skipped', () => {
    const { clock } = start('high', msk('2024-06-11T12:00:00'));
    expect(fire(clock, msk('2024-06-11T12:15:00')).alert).toEqual({ type: 'sla_warning', fraction: 0.5 });
    const f = fire(clock, msk('2024-06-11T12:45:00'));
    expect(f.alert).toEqual({ type: 'sla_breach' });
    expect(eventSummary(f.cs).map((e) => e.type)).toEqual(['breached', 'warning_skipped']);
    expect(events(f.cs)[1].data).toMatchObject({ fraction: 0.8 });
  });
});

describe('deadline clocks: ETA and milestone', () => {
  it('an ETA fires eta_missed once when it passes; state missed', () => {
    const cs = new ChangeSet();
    const now = msk('2024-06-11T12:00:00');
    const clock = startDeadlineClock(cs, {
      caseId: 'case-1', kind: 'eta', urgency: 'high', dueAt: msk('2024-06-11T15:00:00'), now, reason: 'ETA posted by the manager', etaId: 'eta-1',
    });
    expect(clock.kind).toBe('eta');
    expect(clock.etaId).toBe('eta-1');
    expect(clock.state).toBe('running');
    expect(clock.targetMinutes).toBe(180);
    expect(iso(clock.nextFireAt)).toBe('2024-06-11T12:00:00.000Z');
    expect(nextFireAt(clock, CAL)?.toISOString()).toBe('2024-06-11T12:00:00.000Z');
    expect(eventSummary(cs)).toEqual([{ type: 'started', reason: 'ETA posted by the manager' }]);
    expect(events(cs)[0].data).toMatchObject({ kind: 'eta', dueAt: '2024-06-11T12:00:00.000Z' });
    expect(slaState('open', clock, msk('2024-06-11T14:00:00')).state).toBe('running');

    const early = fire(clock, msk('2024-06-11T14:59:59'));
    expect(early.alert).toBeNull();
    expect(events(early.cs)).toEqual([]);

    const missed = fire(clock, msk('2024-06-11T15:00:00'));
    expect(missed.alert).toEqual({ type: 'eta_missed' });
    expect(clock.state).toBe('missed');
    expect(iso(clock.stoppedAt)).toBe('2024-06-11T12:00:00.000Z');
    expect(clock.nextFireAt).toBeNull();
    expect(eventSummary(missed.cs)).toEqual([{ type: 'missed', reason: 'the ETA passed without a resolution' }]);
    expect(clockPatch(missed.cs)).toMatchObject({ state: 'missed', nextFireAt: null });

    const again = fire(clock, msk('2024-06-11T15:05:00'));
    expect(again.alert).toBeNull();
    expect(events(again.cs)).toEqual([]);
    expect(nextFireAt(clock, CAL)).toBeNull();
  });

  it('an ETA is counted around the clock, not in business hours', () => {
    const cs = new ChangeSet();
    const clock = startDeadlineClock(cs, { caseId: 'case-1', kind: 'eta', urgency: 'medium', dueAt: msk('2024-06-08T12:00:00'), now: msk('2024-06-07T18:00:00'), reason: 'ETA' });
    expect(clock.hours).toBe('24x7');
    expect(fire(clock, msk('2024-06-08T12:00:00')).alert).toEqual({ type: 'eta_missed' });
  });

  it('a milestone fires milestone_missed once', () => {
    const cs = new ChangeSet();
    const clock = startDeadlineClock(cs, {
      caseId: 'case-2', kind: 'milestone', urgency: 'medium', dueAt: msk('2024-06-14T19:00:00'), now: msk('2024-06-10T10:00:00'), reason: 'timeline agreed', milestoneId: 'ms-1',
    });
    expect(clock.milestoneId).toBe('ms-1');
    expect(fire(clock, msk('2024-06-14T18:00:00')).alert).toBeNull();
    const f = fire(clock, msk('2024-06-14T19:30:00'));
    expect(f.alert).toEqual({ type: 'milestone_missed' });
    expect(clock.state).toBe('missed');
    expect(eventSummary(f.cs)).toEqual([{ type: 'missed', reason: 'the milestone date passed' }]);
    expect(fire(clock, msk('2024-06-15T10:00:00')).alert).toBeNull();
  });
});

describe('slaState', () => {
  const now = msk('2024-06-11T12:00:00');
  const running = (dueAt: Date) =>
    ({ state: 'running', startedAt: msk('2024-06-11T11:00:00'), dueAt }) as Pick<ClockRow, 'state' | 'dueAt' | 'startedAt'>;

  it('running before the due time', () => {
    const s = slaState('open', running(msk('2024-06-11T12:30:00')), now);
    expect(s.state).toBe('running');
    expect(iso(s.dueAt)).toBe('2024-06-11T09:30:00.000Z');
    expect(iso(s.startedAt)).toBe('2024-06-11T08:00:00.000Z');
  });

  it('a running clock past its due time reads as breached', () => {
    const s = slaState('open', running(msk('2024-06-11T11:59:00')), now);
    expect(s.state).toBe('breached');
    expect(iso(s.dueAt)).toBe('2024-06-11T08:59:00.000Z');
  });

  it('stopped clocks: met and breached', () => {
    const { clock } = start('high', msk('2024-06-11T11:00:00'));
    stopClock(new ChangeSet(), clock, msk('2024-06-11T11:10:00'), 'reply');
    expect(slaState('open', clock, now).state).toBe('met');
    expect(slaState('resolved', clock, now).state).toBe('met');

    const late = start('high', msk('2024-06-11T11:00:00')).clock;
    stopClock(new ChangeSet(), late, msk('2024-06-11T11:40:00'), 'reply');
    expect(slaState('resolved', late, now).state).toBe('breached');
  });

  it('paused while the case waits on the client', () => {
    const { clock } = start('medium', msk('2024-06-11T11:00:00'));
    stopClock(new ChangeSet(), clock, msk('2024-06-11T11:05:00'), 'asked for details');
    const s = slaState('waiting_on_client', clock, now);
    expect(s.state).toBe('paused');
    expect(s.dueAt).toBeNull();
    expect(slaState('waiting_on_client', null, now).state).toBe('paused');
  });

  it('none without a clock, or with a cancelled one', () => {
    expect(slaState('open', null, now)).toEqual({ state: 'none', dueAt: null, startedAt: null });
    const c = { ...running(msk('2024-06-11T12:30:00')), state: 'cancelled' };
    expect(slaState('open', c, now).state).toBe('none');
  });
});

describe('policy bounds: what validatePolicy accepts keeps working', () => {
  const target = (minutes: unknown) => validatePolicy({ targets: { medium: { minutes, hours: 'business' } } });

  it('target minutes are whole numbers from 1 to 43200 (an integer column, a month around the clock)', () => {
    for (const ok of [1, 60, 43_200]) expect(target(ok)).toEqual([]);
    // 1e309 is what JSON.parse makes of a body saying 1e309.
    for (const bad of [0, -5, 1.5, 43_201, 2_147_483_648, 1e10, JSON.parse('1e309'), Number.NaN, '60', null]) {
      expect(target(bad)).toEqual([expect.stringMatching(/^targets\.medium\.minutes must be a positive number of whole minutes, at most 43200/)]);
    }
  });

  it('warnAt: at most 10 fractions strictly between 0 and 1', () => {
    expect(validatePolicy({ warnAt: [0.25, 0.5, 0.75] })).toEqual([]);
    expect(validatePolicy({ warnAt: [] })).toEqual([]);
    for (const bad of [[0], [1], [0.5, JSON.parse('1e309')], ['0.5'], 0.5]) expect(validatePolicy({ warnAt: bad })).toEqual([expect.stringContaining('warnAt')]);
    expect(validatePolicy({ warnAt: Array.from({ length: 11 }, (_, i) => (i + 1) / 12) })).toEqual(['warnAt: at most 10 fractions (got 11)']);
  });

  it('reopenDays is a whole number of days from 0 to 365; plainReplyCounts a boolean; targets an object', () => {
    for (const ok of [0, 7, 365]) expect(validatePolicy({ reopenDays: ok })).toEqual([]);
    for (const bad of [-1, 1.5, 366, JSON.parse('1e309'), '7']) expect(validatePolicy({ reopenDays: bad })).toEqual([expect.stringMatching(/^reopenDays must be a whole number of days from 0 to 365/)]);
    expect(validatePolicy({ plainReplyCounts: 'yes' })).toEqual(['plainReplyCounts must be a boolean']);
    expect(validatePolicy({ targets: [] })).toEqual(['targets must be an object keyed by urgency']);
  });
});

describe('fitProblems: a calendar must be able to serve its policy', () => {
  const week = (days: string[], iv: [string, string][]) => Object.fromEntries(days.map((d) => [d, iv]));

  it('one working minute a week cannot serve a 5-business-hour feature target (nor a call slot)', () => {
    const spec: CalendarSpec = { zone: MSK, week: { mon: [['10:00', '10:01']] }, holidays: [] };
    expect(validateCalendar(spec)).toEqual([]);
    const [problem] = fitProblems(spec, DEFAULT_POLICY);
    expect(problem).toMatch(/^too little working time: a year \(366 days\) of this week holds 52 working minutes, and targets\.\w+\.minutes \(300 business minutes\) needs at least 900 in any 366 days/);
    const allAroundTheClock = effectivePolicy({ targets: Object.fromEntries(Object.keys(DEFAULT_POLICY.targets).map((u) => [u, { minutes: 15, hours: '24x7' }])) } as never);
    expect(fitProblems(spec, allAroundTheClock)).toEqual([expect.stringContaining('a call slot one working day ahead')]);
  });

  it('the default pair fits, and so does the longest target the bounds allow', () => {
    expect(fitProblems(DEFAULT_CALENDAR, DEFAULT_POLICY)).toEqual([]);
    expect(fitProblems(DEFAULT_CALENDAR, effectivePolicy({ targets: { low: { minutes: 43_200, hours: 'business' } } } as never))).toEqual([]);
  });

  it('holidays that empty a year name the year', () => {
    const mondays: string[] = [];
    for (let m = DateTime.fromISO('2027-01-04', { zone: 'utc' }); m.year < 2028; m = m.plus({ weeks: 1 })) mondays.push(m.toISODate()!);
    const spec: CalendarSpec = { zone: MSK, week: { mon: [['10:00', '19:00']] }, holidays: mondays };
    expect(fitProblems(spec, DEFAULT_POLICY)).toEqual([expect.stringContaining('the 366 days from 2026-12-29 hold 0 working minutes')]);
  });

  it('running clocks count: their target must still fit', () => {
    const spec: CalendarSpec = { zone: MSK, week: { mon: [['10:00', '12:00']] }, holidays: [] };
    expect(fitProblems(spec, DEFAULT_POLICY)).toEqual([]);
    expect(fitProblems(spec, DEFAULT_POLICY, 20_000)).toEqual([expect.stringContaining("a running clock's business-hours target of 20000 minutes")]);
  });

  // Sparse calendars in DST zones, with runs of holidays and overnight shifts, each given the longest target it
  // accepts: from any start the deadline, the warnings and a call slot are found, within a year.
  it('whatever it accepts keeps working: deadlines within a year, warnings, recomputes and call slots never throw', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const hm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Europe/Moscow', 'Africa/Casablanca'];
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    let checked = 0;
    for (let i = 0; i < 24; i++) {
      const ivs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (): [string, string] => {
        const s = Math.floor(rnd() * 96) * 15;
        return [hm(s), hm(s + 5 + Math.floor(rnd() * 120))];
      });
      const holidays: string[] = [];
      const off = Math.floor(rnd() * 500);
      for (let k = 0, d0 = DateTime.fromISO('2027-02-01', { zone: 'utc' }).plus({ days: Math.floor(rnd() * 300) }); k < off; k++) holidays.push(d0.plus({ days: k }).toISODate()!);
      const spec: CalendarSpec = { zone: pick(zones), week: week([pick(days), pick(days)], ivs), holidays };
      if (validateCalendar(spec).length) continue;
      // The longest feature target this calendar accepts (or none).
      const policyOf = (minutes: number) => effectivePolicy({ targets: { feature: { minutes, hours: 'business' } } } as never);
      let [lo, hi] = [0, 43_200];
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fitProblems(spec, policyOf(mid)).length) hi = mid - 1;
        else lo = mid;
      }
      if (lo === 0) continue;
      checked++;
      const cap = leanestYear(spec);
      const lean = cap.from ? [DateTime.fromISO(cap.from, { zone: spec.zone }).minus({ minutes: 1 }).toJSDate()] : [];
      const starts = [...lean, ...Array.from({ length: 4 }, (_, k) => new Date(Date.parse('2026-06-01T00:00:00Z') + k * 211 * 86_400_000 + k * 3_600_000))];
      for (const at of starts) {
        const { clock } = start('feature', at, policyOf(lo), spec);
        expect(clock.dueAt.getTime() - at.getTime()).toBeLessThanOrEqual(368 * 86_400_000);
        expect(warningTimes({ ...clock, warnAt: [0.5, 0.99] }, spec)).toHaveLength(2);
        recomputeClock(new ChangeSet(), clock, { urgency: 'informational', policy: policyOf(lo), calendar: spec, now: at, reason: 'test' });
        const slot = earliestCallSlot(spec, at);
        expect(checkCallSlot(spec, at, slot)).toEqual({ ok: true });
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('a stored due time does not depend on the season the server runs in', () => {
  const realNow = Settings.now;
  afterEach(() => {
    Settings.now = realNow;
  });

  // A Saturday night desk in Berlin until 02:30: on 2026-10-25 02:00-02:59 happens twice (03:00 CEST -> 02:00 CET).
  const DESK: CalendarSpec = {
    zone: 'Europe/Berlin',
    week: { ...Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])), sat: [['22:00', '02:30']] },
    holidays: [],
  };

  it('started in summer, recomputed in winter (a fresh process): the desk closed at the first 02:30 both times', () => {
    const now = d('2026-10-25T00:40:00Z'); // 02:40 CEST, ten minutes after the desk closed
    Settings.now = () => Date.parse('2026-07-01T12:00:00Z');
    const { clock } = start('medium', now, DEFAULT_POLICY, DESK);
    expect(iso(clock.dueAt)).toBe('2026-10-26T09:00:00.000Z'); // Monday 10:00 CET
    Settings.now = () => Date.parse('2027-01-15T12:00:00Z');
    let fresh!: typeof import('../../src/core/sla/clocks');
    jest.isolateModules(() => {
      fresh = require('../../src/core/sla/clocks');
    });
    const cs = new ChangeSet();
    fresh.recomputeClock(cs, clock, { urgency: 'low', policy: DEFAULT_POLICY, calendar: DESK, now: d('2026-10-25T00:45:00Z'), reason: 'client set urgency low' });
    expect(iso(clock.dueAt)).toBe('2026-10-26T09:00:00.000Z');
    expect(events(cs)[0].data).toMatchObject({ from: '2026-10-26T09:00:00.000Z', dueAt: '2026-10-26T09:00:00.000Z' });
  });
});
