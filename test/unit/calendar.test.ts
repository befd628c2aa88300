import { DateTime, Settings } from 'luxon';
import { CalendarSpec } from '../../src/core/model';
import {
  BusinessCalendar,
  CalendarError,
  DEFAULT_CALENDAR,
  leanestYear,
  normalizeCalendar,
  validateCalendar,
} from '../../src/core/sla/calendar';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** ISO string with explicit offset -> Date. */
const d = (iso: string): Date => {
  const dt = DateTime.fromISO(iso, { setZone: true });
  if (!dt.isValid) throw new Error(`bad test instant ${iso}`);
  return dt.toJSDate();
};
/** Render an instant in a zone, for readable assertions. */
const local = (at: Date, zone: string): string =>
  DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mmZZ");

const weekdays = (intervals: [string, string][]): CalendarSpec['week'] => ({
  mon: intervals,
  tue: intervals,
  wed: intervals,
  thu: intervals,
  fri: intervals,
});

const MSK = 'Europe/Moscow';

describe('default calendar (Moscow, Mon-Fri 10:00-19:00)', () => {
  const cal = new BusinessCalendar(DEFAULT_CALENDAR);

  it('has the documented shape', () => {
    expect(DEFAULT_CALENDAR.zone).toBe('Europe/Moscow');
    expect(DEFAULT_CALENDAR.holidays).toEqual([]);
    expect(DEFAULT_CALENDAR.week).toEqual(weekdays([['10:00', '19:00']]));
    expect(validateCalendar(DEFAULT_CALENDAR)).toEqual([]);
  });

  it('Friday 18:30 + 60 min lands Monday 10:30', () => {
    const due = cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN);
    expect(due.toISOString()).toBe('2024-06-10T07:30:00.000Z');
    expect(local(due, MSK)).toBe('2024-06-10T10:30+03:00');
  });

  it('Saturday message + 60 min is due Monday 11:00', () => {
    expect(local(cal.addWorkingTime(d('2024-06-08T14:00:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T11:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-09T23:59:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T11:00+03:00');
  });

  it('09:00 message + 60 min is due 11:00', () => {
    expect(local(cal.addWorkingTime(d('2024-06-11T09:00:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T11:00+03:00');
  });

  it('adds within a single day', () => {
    expect(local(cal.addWorkingTime(d('2024-06-11T12:15:00+03:00'), 90 * MIN), MSK)).toBe('2024-06-11T13:45+03:00');
  });

  it('running out exactly at an interval end returns that end, not the next start', () => {
    expect(local(cal.addWorkingTime(d('2024-06-11T18:00:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T19:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-11T10:00:00+03:00'), 9 * HOUR), MSK)).toBe('2024-06-11T19:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-08T10:00:00+03:00'), 9 * HOUR), MSK)).toBe('2024-06-10T19:00+03:00');
  });

  it('ms = 0 returns the start unchanged, even outside working time', () => {
    const sat = d('2024-06-08T14:00:00+03:00');
    expect(cal.addWorkingTime(sat, 0).getTime()).toBe(sat.getTime());
    const fri = d('2024-06-07T19:00:00+03:00');
    expect(cal.addWorkingTime(fri, 0).getTime()).toBe(fri.getTime());
  });

  it('adds multiple working days', () => {
    // 3 days of 9h + 1h from Monday 10:00 -> Thursday 11:00
    expect(local(cal.addWorkingTime(d('2024-06-10T10:00:00+03:00'), 28 * HOUR), MSK)).toBe('2024-06-13T11:00+03:00');
    // a full week of working time from Friday 12:00 -> next Friday 12:00
    expect(local(cal.addWorkingTime(d('2024-06-07T12:00:00+03:00'), 45 * HOUR), MSK)).toBe('2024-06-14T12:00+03:00');
  });

  it('rejects negative or non-finite amounts', () => {
    expect(() => cal.addWorkingTime(d('2024-06-10T10:00:00+03:00'), -1)).toThrow(CalendarError);
    expect(() => cal.addWorkingTime(d('2024-06-10T10:00:00+03:00'), NaN)).toThrow(CalendarError);
    expect(() => cal.addWorkingTime(d('2024-06-10T10:00:00+03:00'), Infinity)).toThrow(CalendarError);
  });

  it('isWorking: start inclusive, end exclusive', () => {
    expect(cal.isWorking(d('2024-06-11T10:00:00+03:00'))).toBe(true);
    expect(cal.isWorking(d('2024-06-11T09:59:59.999+03:00'))).toBe(false);
    expect(cal.isWorking(d('2024-06-11T18:59:59.999+03:00'))).toBe(true);
    expect(cal.isWorking(d('2024-06-11T19:00:00+03:00'))).toBe(false);
    expect(cal.isWorking(d('2024-06-08T12:00:00+03:00'))).toBe(false);
  });

  it('nextWorkingMoment at exact start returns it; at exact end moves to the next start', () => {
    const start = d('2024-06-11T10:00:00+03:00');
    expect(cal.nextWorkingMoment(start).getTime()).toBe(start.getTime());
    const inside = d('2024-06-11T15:47:12.345+03:00');
    expect(cal.nextWorkingMoment(inside).getTime()).toBe(inside.getTime());
    expect(local(cal.nextWorkingMoment(d('2024-06-11T19:00:00+03:00')), MSK)).toBe('2024-06-12T10:00+03:00');
    expect(local(cal.nextWorkingMoment(d('2024-06-07T19:00:00+03:00')), MSK)).toBe('2024-06-10T10:00+03:00');
    expect(local(cal.nextWorkingMoment(d('2024-06-11T03:00:00+03:00')), MSK)).toBe('2024-06-11T10:00+03:00');
  });

  it('workingTimeBetween across a weekend', () => {
    expect(cal.workingTimeBetween(d('2024-06-07T15:00:00+03:00'), d('2024-06-10T12:00:00+03:00'))).toBe(6 * HOUR);
    expect(cal.workingTimeBetween(d('2024-06-08T00:00:00+03:00'), d('2024-06-10T00:00:00+03:00'))).toBe(0);
    expect(cal.workingTimeBetween(d('2024-06-10T00:00:00+03:00'), d('2024-06-17T00:00:00+03:00'))).toBe(45 * HOUR);
  });

  it('workingTimeBetween is 0 when b <= a', () => {
    const a = d('2024-06-11T12:00:00+03:00');
    expect(cal.workingTimeBetween(a, a)).toBe(0);
    expect(cal.workingTimeBetween(a, d('2024-06-11T11:00:00+03:00'))).toBe(0);
  });

  it('intervalsBetween returns clipped intervals in order', () => {
    const ivs = cal.intervalsBetween(d('2024-06-07T15:00:00+03:00'), d('2024-06-11T12:00:00+03:00'));
    expect(ivs.map((iv) => [local(iv.start, MSK), local(iv.end, MSK)])).toEqual([
      ['2024-06-07T15:00+03:00', '2024-06-07T19:00+03:00'],
      ['2024-06-10T10:00+03:00', '2024-06-10T19:00+03:00'],
      ['2024-06-11T10:00+03:00', '2024-06-11T12:00+03:00'],
    ]);
    expect(cal.intervalsBetween(d('2024-06-08T00:00:00+03:00'), d('2024-06-09T00:00:00+03:00'))).toEqual([]);
    expect(cal.intervalsBetween(d('2024-06-11T12:00:00+03:00'), d('2024-06-11T12:00:00+03:00'))).toEqual([]);
  });

  it('workingDayLength is the length of the first working day at or after the instant', () => {
    expect(cal.workingDayLength(d('2024-06-11T20:00:00+03:00'))).toBe(9 * HOUR);
    expect(cal.workingDayLength(d('2024-06-08T12:00:00+03:00'))).toBe(9 * HOUR);
  });

  it('addWorkingTime and workingTimeBetween agree, and results land in working time', () => {
    const starts = [
      '2024-06-07T18:30:00+03:00',
      '2024-06-08T04:00:00+03:00',
      '2024-06-10T10:00:00+03:00',
      '2024-06-11T18:59:00+03:00',
      '2024-06-12T07:13:00+03:00',
    ].map(d);
    for (const start of starts) {
      for (const minutes of [1, 30, 59, 60, 61, 540, 541, 1000, 3000]) {
        const due = cal.addWorkingTime(start, minutes * MIN);
        expect(cal.workingTimeBetween(start, due)).toBe(minutes * MIN);
        // lands in working time, or exactly at an interval end
        const justBefore = new Date(due.getTime() - 1);
        expect(cal.isWorking(justBefore)).toBe(true);
      }
    }
  });
});

describe('holidays', () => {
  const cal = new BusinessCalendar({ ...DEFAULT_CALENDAR, holidays: ['2024-06-10', '2024-01-01'] });

  it('a holiday Monday pushes Friday evening work to Tuesday', () => {
    expect(local(cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T10:30+03:00');
    expect(local(cal.nextWorkingMoment(d('2024-06-08T12:00:00+03:00')), MSK)).toBe('2024-06-11T10:00+03:00');
    expect(cal.isWorking(d('2024-06-10T12:00:00+03:00'))).toBe(false);
  });

  it('Jan 1 holiday (a Monday in 2024)', () => {
    expect(local(cal.addWorkingTime(d('2023-12-29T18:00:00+03:00'), 2 * HOUR), MSK)).toBe('2024-01-02T11:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-01-01T12:00:00+03:00'), 60 * MIN), MSK)).toBe('2024-01-02T11:00+03:00');
  });

  it('a run of New Year holidays', () => {
    const ny = new BusinessCalendar({
      ...DEFAULT_CALENDAR,
      holidays: ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08'],
    });
    expect(local(ny.addWorkingTime(d('2023-12-29T18:00:00+03:00'), 2 * HOUR), MSK)).toBe('2024-01-09T11:00+03:00');
  });

  it('workingTimeBetween across a holiday', () => {
    const plain = new BusinessCalendar(DEFAULT_CALENDAR);
    const a = d('2024-06-07T15:00:00+03:00');
    const b = d('2024-06-11T12:00:00+03:00');
    expect(plain.workingTimeBetween(a, b)).toBe(15 * HOUR);
    expect(cal.workingTimeBetween(a, b)).toBe(6 * HOUR);
  });

  it('workingDayLength skips holidays', () => {
    expect(cal.workingDayLength(d('2024-06-10T09:00:00+03:00'))).toBe(9 * HOUR);
    // Tuesday is the first working day; check via intervals rather than length alone
    expect(local(cal.nextWorkingMoment(d('2024-06-10T09:00:00+03:00')), MSK)).toBe('2024-06-11T10:00+03:00');
  });
});

describe('exceptions', () => {
  it('a working Saturday', () => {
    const cal = new BusinessCalendar({ ...DEFAULT_CALENDAR, exceptions: { '2024-06-08': [['10:00', '15:00']] } });
    expect(local(cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-08T10:30+03:00');
    expect(cal.isWorking(d('2024-06-08T14:59:00+03:00'))).toBe(true);
    expect(cal.isWorking(d('2024-06-08T15:00:00+03:00'))).toBe(false);
    expect(cal.workingTimeBetween(d('2024-06-07T00:00:00+03:00'), d('2024-06-10T00:00:00+03:00'))).toBe(14 * HOUR);
    expect(cal.workingDayLength(d('2024-06-08T00:00:00+03:00'))).toBe(5 * HOUR);
  });

  it('a short day', () => {
    const cal = new BusinessCalendar({ ...DEFAULT_CALENDAR, exceptions: { '2024-06-07': [['10:00', '16:00']] } });
    expect(local(cal.addWorkingTime(d('2024-06-07T15:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T10:30+03:00');
    expect(cal.workingDayLength(d('2024-06-07T08:00:00+03:00'))).toBe(6 * HOUR);
  });

  it('an empty exception is a day off', () => {
    const cal = new BusinessCalendar({ ...DEFAULT_CALENDAR, exceptions: { '2024-06-11': [] } });
    expect(local(cal.addWorkingTime(d('2024-06-10T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-12T10:30+03:00');
  });

  it('an exception on a holiday date wins over the holiday', () => {
    const cal = new BusinessCalendar({
      ...DEFAULT_CALENDAR,
      holidays: ['2024-06-10'],
      exceptions: { '2024-06-10': [['12:00', '14:00']] },
    });
    expect(local(cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T12:30+03:00');
  });
});

describe('several intervals per day (lunch break)', () => {
  const cal = new BusinessCalendar({
    zone: MSK,
    week: weekdays([
      ['09:00', '13:00'],
      ['14:00', '18:00'],
    ]),
    holidays: [],
  });

  it('skips the lunch break', () => {
    expect(local(cal.addWorkingTime(d('2024-06-11T12:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T14:30+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-11T13:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T15:00+03:00');
  });

  it('stops at the morning end rather than jumping to the afternoon start', () => {
    expect(local(cal.addWorkingTime(d('2024-06-11T12:00:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-11T13:00+03:00');
  });

  it('lunch is not working time', () => {
    expect(cal.isWorking(d('2024-06-11T13:00:00+03:00'))).toBe(false);
    expect(local(cal.nextWorkingMoment(d('2024-06-11T13:00:00+03:00')), MSK)).toBe('2024-06-11T14:00+03:00');
    expect(cal.workingTimeBetween(d('2024-06-11T12:00:00+03:00'), d('2024-06-11T15:00:00+03:00'))).toBe(2 * HOUR);
    expect(cal.workingDayLength(d('2024-06-11T12:00:00+03:00'))).toBe(8 * HOUR);
  });

  it('intervals may be listed out of order', () => {
    const rev = new BusinessCalendar({
      zone: MSK,
      week: weekdays([
        ['14:00', '18:00'],
        ['09:00', '13:00'],
      ]),
      holidays: [],
    });
    expect(local(rev.addWorkingTime(d('2024-06-11T08:00:00+03:00'), 5 * HOUR), MSK)).toBe('2024-06-11T15:00+03:00');
  });
});

describe('overnight intervals', () => {
  // A night support desk: each weekday evening 22:00 until 06:00 the next morning.
  const cal = new BusinessCalendar({ zone: MSK, week: weekdays([['22:00', '06:00']]), holidays: [] });

  it('adds across midnight', () => {
    expect(local(cal.addWorkingTime(d('2024-06-10T23:00:00+03:00'), 3 * HOUR), MSK)).toBe('2024-06-11T02:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-10T21:00:00+03:00'), 10 * HOUR), MSK)).toBe('2024-06-12T00:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-10T22:00:00+03:00'), 8 * HOUR), MSK)).toBe('2024-06-11T06:00+03:00');
  });

  it("Friday night's shift runs into Saturday morning; nothing on Sunday night", () => {
    expect(cal.isWorking(d('2024-06-08T05:00:00+03:00'))).toBe(true);
    expect(cal.isWorking(d('2024-06-08T22:00:00+03:00'))).toBe(false);
    expect(cal.isWorking(d('2024-06-10T05:00:00+03:00'))).toBe(false);
    expect(local(cal.nextWorkingMoment(d('2024-06-08T06:00:00+03:00')), MSK)).toBe('2024-06-10T22:00+03:00');
    expect(local(cal.addWorkingTime(d('2024-06-08T04:00:00+03:00'), 3 * HOUR), MSK)).toBe('2024-06-10T23:00+03:00');
  });

  it('measures across midnight', () => {
    expect(cal.workingTimeBetween(d('2024-06-10T00:00:00+03:00'), d('2024-06-11T12:00:00+03:00'))).toBe(8 * HOUR);
    expect(cal.workingDayLength(d('2024-06-10T12:00:00+03:00'))).toBe(8 * HOUR);
  });

  it('a holiday removes the shift starting on it but not the one running into it', () => {
    const hol = new BusinessCalendar({ zone: MSK, week: weekdays([['22:00', '06:00']]), holidays: ['2024-06-11'] });
    expect(hol.isWorking(d('2024-06-11T03:00:00+03:00'))).toBe(true);
    expect(hol.isWorking(d('2024-06-11T23:00:00+03:00'))).toBe(false);
    expect(local(hol.addWorkingTime(d('2024-06-11T05:00:00+03:00'), 2 * HOUR), MSK)).toBe('2024-06-12T23:00+03:00');
  });

  it('merges adjacent intervals from consecutive days', () => {
    const allDay = new BusinessCalendar({ zone: MSK, week: weekdays([['00:00', '00:00']]), holidays: [] });
    expect(local(allDay.addWorkingTime(d('2024-06-07T23:00:00+03:00'), 2 * HOUR), MSK)).toBe('2024-06-10T01:00+03:00');
    const ivs = allDay.intervalsBetween(d('2024-06-09T00:00:00+03:00'), d('2024-06-16T00:00:00+03:00'));
    expect(ivs.map((iv) => [local(iv.start, MSK), local(iv.end, MSK)])).toEqual([
      ['2024-06-10T00:00+03:00', '2024-06-15T00:00+03:00'],
    ]);
    expect(allDay.workingDayLength(d('2024-06-10T12:00:00+03:00'))).toBe(24 * HOUR);
    expect(allDay.isWorking(d('2024-06-14T23:59:59.999+03:00'))).toBe(true);
    expect(allDay.isWorking(d('2024-06-15T00:00:00+03:00'))).toBe(false);
  });

  it('merges overlapping intervals so time is not double counted', () => {
    const overlap = new BusinessCalendar({
      zone: MSK,
      week: { mon: [['22:00', '06:00']], tue: [['00:00', '08:00']] },
      holidays: [],
    });
    expect(overlap.workingTimeBetween(d('2024-06-10T00:00:00+03:00'), d('2024-06-12T00:00:00+03:00'))).toBe(10 * HOUR);
    expect(local(overlap.addWorkingTime(d('2024-06-10T22:00:00+03:00'), 9 * HOUR), MSK)).toBe('2024-06-11T07:00+03:00');
    expect(overlap.intervalsBetween(d('2024-06-10T00:00:00+03:00'), d('2024-06-12T00:00:00+03:00'))).toHaveLength(1);
  });

  it('"24:00" may be used as an interval end', () => {
    const late = new BusinessCalendar({ zone: MSK, week: { mon: [['18:00', '24:00']] }, holidays: [] });
    expect(late.workingDayLength(d('2024-06-10T00:00:00+03:00'))).toBe(6 * HOUR);
    expect(local(late.addWorkingTime(d('2024-06-10T18:00:00+03:00'), 6 * HOUR), MSK)).toBe('2024-06-11T00:00+03:00');
  });
});

describe('DST zones', () => {
  describe.each([
    {
      zone: 'America/New_York',
      springFri: '2024-03-08T18:00:00-05:00',
      springMon: '2024-03-11T11:00-04:00',
      fallFri: '2024-11-01T18:00:00-04:00',
      fallMon: '2024-11-04T11:00-05:00',
    },
    {
      zone: 'Europe/Berlin',
      springFri: '2024-03-29T18:00:00+01:00',
      springMon: '2024-04-01T11:00+02:00',
      fallFri: '2024-10-25T18:00:00+02:00',
      fallMon: '2024-10-28T11:00+01:00',
    },
  ])('$zone, Mon-Fri 10:00-19:00', ({ zone, springFri, springMon, fallFri, fallMon }) => {
    const cal = new BusinessCalendar({ zone, week: weekdays([['10:00', '19:00']]), holidays: [] });

    it('spring forward weekend: Friday 18:00 + 2h -> Monday 11:00 local, 64h later', () => {
      const start = d(springFri);
      const due = cal.addWorkingTime(start, 2 * HOUR);
      expect(local(due, zone)).toBe(springMon);
      expect(due.getTime() - start.getTime()).toBe(64 * HOUR);
      expect(cal.workingTimeBetween(start, due)).toBe(2 * HOUR);
    });

    it('fall back weekend: Friday 18:00 + 2h -> Monday 11:00 local, 66h later', () => {
      const start = d(fallFri);
      const due = cal.addWorkingTime(start, 2 * HOUR);
      expect(local(due, zone)).toBe(fallMon);
      expect(due.getTime() - start.getTime()).toBe(66 * HOUR);
      expect(cal.workingTimeBetween(start, due)).toBe(2 * HOUR);
    });

    it('working days keep 9h on both sides of the transition', () => {
      expect(cal.workingDayLength(d(springFri))).toBe(9 * HOUR);
      expect(cal.workingDayLength(d(fallFri))).toBe(9 * HOUR);
      const mon = DateTime.fromISO(springMon, { setZone: true });
      expect(cal.workingDayLength(mon.toJSDate())).toBe(9 * HOUR);
    });
  });

  describe('an interval spanning the Berlin 02:00-03:00 gap', () => {
    const zone = 'Europe/Berlin';
    const cal = new BusinessCalendar({ zone, week: { sun: [['01:00', '05:00']] }, holidays: [] });

    it('is 3h on the spring-forward Sunday, 5h on fall-back Sunday, 4h otherwise', () => {
      expect(cal.workingTimeBetween(d('2024-03-31T00:00:00+01:00'), d('2024-04-01T00:00:00+02:00'))).toBe(3 * HOUR);
      expect(cal.workingTimeBetween(d('2024-10-27T00:00:00+02:00'), d('2024-10-28T00:00:00+01:00'))).toBe(5 * HOUR);
      expect(cal.workingTimeBetween(d('2024-03-24T00:00:00+01:00'), d('2024-03-25T00:00:00+01:00'))).toBe(4 * HOUR);
      expect(cal.workingDayLength(d('2024-03-30T12:00:00+01:00'))).toBe(3 * HOUR);
      expect(cal.workingDayLength(d('2024-10-26T12:00:00+02:00'))).toBe(5 * HOUR);
    });

    it('adds across the gap in absolute time', () => {
      const due = cal.addWorkingTime(d('2024-03-31T01:00:00+01:00'), 90 * MIN);
      expect(due.toISOString()).toBe('2024-03-31T01:30:00.000Z');
      expect(local(due, zone)).toBe('2024-03-31T03:30+02:00');
      // 3h of work exhausts the day exactly at its (local 05:00) end
      expect(local(cal.addWorkingTime(d('2024-03-31T01:00:00+01:00'), 3 * HOUR), zone)).toBe('2024-03-31T05:00+02:00');
    });

    it('a start inside the gap resolves forward', () => {
      const gap = new BusinessCalendar({ zone, week: { sun: [['02:30', '06:00']] }, holidays: [] });
      expect(local(gap.nextWorkingMoment(d('2024-03-31T00:00:00+01:00')), zone)).toBe('2024-03-31T03:30+02:00');
      expect(gap.workingDayLength(d('2024-03-31T00:00:00+01:00'))).toBe(2.5 * HOUR);
    });
  });
});

// The API refuses these (see validateCalendar); the arithmetic still terminates for specs stored before it did.
describe('empty or exhausted calendars', () => {
  it('an empty week throws from addWorkingTime / nextWorkingMoment / workingDayLength', () => {
    const cal = new BusinessCalendar({ zone: MSK, week: {}, holidays: [] });
    const at = d('2024-06-10T12:00:00+03:00');
    expect(() => cal.addWorkingTime(at, MIN)).toThrow(CalendarError);
    expect(() => cal.nextWorkingMoment(at)).toThrow(CalendarError);
    expect(() => cal.workingDayLength(at)).toThrow(CalendarError);
    expect(cal.isWorking(at)).toBe(false);
    expect(cal.workingTimeBetween(at, d('2025-06-10T12:00:00+03:00'))).toBe(0);
    expect(cal.addWorkingTime(at, 0).getTime()).toBe(at.getTime());
  });

  it('weekdays with only empty interval lists count as empty', () => {
    const cal = new BusinessCalendar({ zone: MSK, week: { mon: [], tue: [] }, holidays: [] });
    expect(() => cal.nextWorkingMoment(d('2024-06-10T12:00:00+03:00'))).toThrow(CalendarError);
  });

  it('an empty week with a dated working exception works only on that date', () => {
    const cal = new BusinessCalendar({ zone: MSK, week: {}, holidays: [], exceptions: { '2024-06-15': [['10:00', '12:00']] } });
    expect(local(cal.addWorkingTime(d('2024-06-10T12:00:00+03:00'), HOUR), MSK)).toBe('2024-06-15T11:00+03:00');
    expect(() => cal.addWorkingTime(d('2024-06-10T12:00:00+03:00'), 3 * HOUR)).toThrow(CalendarError);
    expect(() => cal.nextWorkingMoment(d('2024-06-15T12:00:00+03:00'))).toThrow(CalendarError);
  });

  it('a week whose every working day is a holiday for years terminates with CalendarError', () => {
    const holidays: string[] = [];
    for (let m = DateTime.fromISO('2024-06-10', { zone: 'utc' }); m.year < 2029; m = m.plus({ weeks: 1 })) {
      holidays.push(m.toISODate()!);
    }
    const cal = new BusinessCalendar({ zone: MSK, week: { mon: [['10:00', '11:00']] }, holidays });
    expect(() => cal.addWorkingTime(d('2024-06-09T12:00:00+03:00'), MIN)).toThrow(CalendarError);
    expect(() => cal.workingDayLength(d('2024-06-09T12:00:00+03:00'))).toThrow(CalendarError);
    expect(cal.workingTimeBetween(d('2024-06-09T12:00:00+03:00'), d('2025-06-09T12:00:00+03:00'))).toBe(0);
  });
});

describe('validateCalendar', () => {
  const ok: CalendarSpec = { zone: 'UTC', week: { mon: [['09:00', '17:00']] }, holidays: ['2024-01-01'] };
  const problems = (patch: Record<string, unknown>): string[] => validateCalendar({ ...ok, ...patch });

  it('accepts valid calendars', () => {
    expect(validateCalendar(ok)).toEqual([]);
    expect(problems({ week: { sat: [['22:00', '06:00']], sun: [['00:00', '00:00']], mon: [['18:00', '24:00']] } })).toEqual([]);
    expect(problems({ exceptions: { '2024-06-08': [['10:00', '15:00']], '2024-06-10': [] } })).toEqual([]);
  });

  it('rejects non-objects', () => {
    expect(validateCalendar(null)).toHaveLength(1);
    expect(validateCalendar('Europe/Moscow')).toHaveLength(1);
    expect(validateCalendar([])).toHaveLength(1);
  });

  it('reports an unknown zone', () => {
    const p = problems({ zone: 'Mars/Olympus_Mons' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/zone/);
    expect(p[0]).toContain('Mars/Olympus_Mons');
    expect(problems({ zone: undefined })[0]).toMatch(/zone/);
  });

  it('reports bad times', () => {
    for (const bad of ['25:00', '9:00', '12:60', '1200', 'noon', '']) {
      const p = problems({ week: { mon: [[bad, '17:00']] } });
      expect(p).toHaveLength(1);
      expect(p[0]).toContain('week.mon[0]');
      expect(p[0]).toContain(JSON.stringify(bad));
    }
    expect(problems({ week: { mon: [['24:00', '05:00']] } })[0]).toMatch(/24:00/);
    expect(problems({ week: { mon: [['09:00']] } })[0]).toContain('week.mon[0]');
    expect(problems({ week: { mon: ['09:00-17:00'] } })).toHaveLength(1);
    expect(problems({ week: { mon: [[9, 17]] } })).toHaveLength(2);
    expect(problems({ week: { mon: 'always' } })[0]).toContain('week.mon');
  });

  it('reports zero-length intervals', () => {
    const p = problems({ week: { tue: [['10:00', '10:00']] } });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/zero-length/);
  });

  it('reports unknown weekdays', () => {
    const p = problems({ week: { monday: [['09:00', '17:00']] } });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/weekday/);
    expect(p[0]).toContain('monday');
    expect(problems({ week: null })[0]).toMatch(/week/);
  });

  it('reports bad holiday dates', () => {
    for (const bad of ['2024-13-01', '2024-02-30', '2024-1-1', '01.01.2024', 20240101]) {
      const p = problems({ holidays: ['2024-01-01', bad] });
      expect(p).toHaveLength(1);
      expect(p[0]).toContain('holidays[1]');
    }
    expect(problems({ holidays: 'none' })[0]).toMatch(/holidays/);
  });

  it('reports bad exceptions', () => {
    expect(problems({ exceptions: { '2024-02-30': [] } })[0]).toMatch(/exceptions/);
    expect(problems({ exceptions: { '2024-06-08': [['10:00', '99:00']] } })[0]).toContain('exceptions.2024-06-08[0]');
    expect(problems({ exceptions: [] })[0]).toMatch(/exceptions/);
  });

  it('collects several problems at once', () => {
    expect(validateCalendar({ zone: 'Nowhere', week: { funday: [] }, holidays: ['x'] })).toHaveLength(3);
  });

  it('the constructor throws CalendarError carrying the messages', () => {
    const bad = { zone: 'Nowhere/Land', week: { mon: [['10:00', '25:00']] }, holidays: [] } as unknown as CalendarSpec;
    expect(() => new BusinessCalendar(bad)).toThrow(CalendarError);
    expect(() => new BusinessCalendar(bad)).toThrow(/Nowhere\/Land.*25:00/);
  });
});

describe('BusinessCalendar.spec', () => {
  it('is not affected by later mutation of the caller object', () => {
    const spec: CalendarSpec = { zone: MSK, week: weekdays([['10:00', '19:00']]), holidays: [] };
    const cal = new BusinessCalendar(spec);
    spec.holidays.push('2024-06-10');
    spec.week.mon![0][0] = '15:00';
    expect(cal.spec.holidays).toEqual([]);
    expect(local(cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T10:30+03:00');
  });
});

describe('what the admin API accepts (validateCalendar)', () => {
  const ok: CalendarSpec = { zone: 'UTC', week: { mon: [['09:00', '17:00']] }, holidays: [] };

  it('refuses a week with no working time, naming `week`, even when dated exceptions work', () => {
    for (const week of [{}, { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }]) {
      const p = validateCalendar({ ...ok, week });
      expect(p).toEqual([expect.stringMatching(/^week: no working time/)]);
      expect(validateCalendar({ ...ok, week, exceptions: { '2026-06-15': [['10:00', '12:00']] } })).toEqual(p);
    }
  });

  it('holidays may be left out: none, as stored and as used', () => {
    const { holidays: _, ...noHolidays } = DEFAULT_CALENDAR;
    expect(validateCalendar(noHolidays)).toEqual([]);
    expect(normalizeCalendar(noHolidays)).toEqual(DEFAULT_CALENDAR);
    const cal = new BusinessCalendar(noHolidays as CalendarSpec);
    expect(cal.spec.holidays).toEqual([]);
    expect(local(cal.addWorkingTime(d('2024-06-07T18:30:00+03:00'), 60 * MIN), MSK)).toBe('2024-06-10T10:30+03:00');
  });

  it('bounds intervals per day and dated days, naming the field and the bound', () => {
    const many = Array.from({ length: 25 }, (_, i): [string, string] => [`${String(i % 24).padStart(2, '0')}:00`, `${String(i % 24).padStart(2, '0')}:30`]);
    expect(validateCalendar({ ...ok, week: { mon: many } })).toEqual(['week.mon: at most 24 intervals a day (got 25)']);
    expect(validateCalendar({ ...ok, week: { mon: many.slice(0, 24) } })).toEqual([]);
    expect(validateCalendar({ ...ok, exceptions: { '2026-01-05': many } })).toEqual(['exceptions.2026-01-05: at most 24 intervals a day (got 25)']);
    const days = (n: number, from = '2020-01-01') => Array.from({ length: n }, (_, i) => DateTime.fromISO(from, { zone: 'utc' }).plus({ days: i }).toISODate()!);
    expect(validateCalendar({ ...ok, holidays: days(2000) })).toEqual([]);
    expect(validateCalendar({ ...ok, holidays: days(2001) })).toEqual(['holidays: at most 2000 dates (got 2001)']);
    const exceptions = Object.fromEntries(days(2, '2030-01-01').map((k) => [k, []]));
    expect(validateCalendar({ ...ok, holidays: days(1999), exceptions })).toEqual([
      'exceptions: holidays and exceptions together may name at most 2000 dates (got 2001)',
    ]);
  });
});

describe('ambiguous local times (the hour repeated when clocks go back)', () => {
  // luxon resolves a wall time with the offset in force *today*; freeze "today" in each season.
  const realNow = Settings.now;
  afterEach(() => {
    Settings.now = realNow;
  });
  const SEASONS = { summer: '2025-07-01T12:00:00Z', winter: '2025-01-15T12:00:00Z' };
  const inSeason = <T>(season: keyof typeof SEASONS, f: () => T): T => {
    Settings.now = () => Date.parse(SEASONS[season]);
    try {
      return f();
    } finally {
      Settings.now = realNow;
    }
  };
  const BERLIN = 'Europe/Berlin'; // 2024-10-27: 03:00 CEST -> 02:00 CET, so 02:00-02:59 happens twice

  it.each(Object.keys(SEASONS) as (keyof typeof SEASONS)[])('use the earlier occurrence, with the process clock in %s', (season) => {
    const cal = inSeason(season, () => new BusinessCalendar({ zone: BERLIN, week: { sun: [['02:00', '02:30']] }, holidays: [] }));
    const ivs = inSeason(season, () => cal.intervalsBetween(d('2024-10-26T00:00:00Z'), d('2024-10-28T00:00:00Z')));
    expect(ivs.map((iv) => [iv.start.toISOString(), iv.end.toISOString()])).toEqual([['2024-10-27T00:00:00.000Z', '2024-10-27T00:30:00.000Z']]);
    // Started 02:40 CEST, after the desk closed: the next Sunday, not the second 02:00 an hour later.
    const due = inSeason(season, () => cal.addWorkingTime(d('2024-10-27T00:40:00Z'), 20 * MIN));
    expect(due.toISOString()).toBe('2024-11-03T01:20:00.000Z');
  });

  it.each(Object.keys(SEASONS) as (keyof typeof SEASONS)[])('an interval ending at a repeated time ends at its first occurrence (%s)', (season) => {
    const ny = inSeason(season, () => new BusinessCalendar({ zone: 'America/New_York', week: { sat: [['22:00', '01:30']] }, holidays: [] }));
    // 2024-11-03 01:00-01:59 happens twice in New York; the shift ends at 01:30 EDT.
    expect(inSeason(season, () => ny.workingDayLength(d('2024-11-02T12:00:00-04:00')))).toBe(3.5 * HOUR);
    expect(inSeason(season, () => ny.isWorking(d('2024-11-03T01:45:00-05:00')))).toBe(false);
  });

  it('non-existent times (clocks going forward) are pushed forward in either season', () => {
    const spec: CalendarSpec = { zone: BERLIN, week: { sun: [['02:30', '05:00']] }, holidays: [] };
    for (const season of ['summer', 'winter'] as const) {
      const cal = inSeason(season, () => new BusinessCalendar(spec));
      const [iv] = inSeason(season, () => cal.intervalsBetween(d('2024-03-31T00:00:00+01:00'), d('2024-04-01T00:00:00+02:00')));
      expect([local(iv.start, BERLIN), local(iv.end, BERLIN)]).toEqual(['2024-03-31T03:30+02:00', '2024-03-31T05:00+02:00']);
    }
  });

  it('a year of DST zones gives the same instants in summer and winter', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Africa/Casablanca']) {
      const spec: CalendarSpec = { zone, week: Object.fromEntries(['sat', 'sun'].map((k) => [k, [['00:00', '00:30'], ['01:30', '02:30'], ['23:30', '01:00']]])), holidays: [] };
      const [from, to] = [d('2024-01-01T00:00:00Z'), d('2025-01-01T00:00:00Z')];
      const [summer, winter] = (['summer', 'winter'] as const).map((season) =>
        inSeason(season, () => new BusinessCalendar(spec).intervalsBetween(from, to).map((iv) => `${iv.start.toISOString()}/${iv.end.toISOString()}`)),
      );
      expect(winter).toEqual(summer);
    }
  });
});

describe('leanestYear: working time a calendar is sure to hold in any 366 days', () => {
  it('a plain week: its leanest alignment, matching the arithmetic in a zone without DST', () => {
    const cap = leanestYear(DEFAULT_CALENDAR);
    expect(cap).toEqual({ minutes: 52 * 45 * 60, from: null, longestDayMinutes: 540, mostIntervalsPerDay: 1 });
    // 366 days from a Saturday: 52 weeks and a weekend.
    const cal = new BusinessCalendar(DEFAULT_CALENDAR);
    expect(cal.workingTimeBetween(d('2024-06-08T00:00:00+03:00'), d('2025-06-09T00:00:00+03:00')) / MIN).toBe(cap.minutes);
  });

  it('counts overlapping and overnight intervals once', () => {
    const cap = leanestYear({ zone: MSK, week: { mon: [['22:00', '06:00']], tue: [['00:00', '08:00']] }, holidays: [] });
    expect(cap.minutes).toBe(52 * 10 * 60);
    expect(cap.longestDayMinutes).toBe(480);
  });

  it('holidays and exceptions: the leanest run of dates, where it starts', () => {
    const mondays: string[] = [];
    for (let m = DateTime.fromISO('2027-01-04', { zone: 'utc' }); m.year < 2028; m = m.plus({ weeks: 1 })) mondays.push(m.toISODate()!);
    const spec: CalendarSpec = { zone: MSK, week: { mon: [['10:00', '19:00']] }, holidays: mondays, exceptions: { '2027-06-12': [['10:00', '11:00']] } };
    expect(leanestYear(spec)).toMatchObject({ minutes: 60, from: '2026-12-29' });
    const cal = new BusinessCalendar(spec);
    expect(cal.workingTimeBetween(d('2026-12-29T00:00:00+03:00'), d('2027-12-30T00:00:00+03:00')) / MIN).toBe(60);
  });

  it('stays cheap at the bounds (2,000 dated days spread over centuries)', () => {
    const holidays = Array.from({ length: 2000 }, (_, i) => `${String(1000 + 4 * i).padStart(4, '0')}-06-1${i % 7}`);
    const started = Date.now();
    expect(leanestYear({ ...DEFAULT_CALENDAR, holidays }).minutes).toBe(52 * 45 * 60 - 9 * 60);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
