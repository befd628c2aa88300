// Business-hours arithmetic for SLA clocks. All wall-clock reasoning happens in the
// calendar's own zone (luxon), so DST days get the right absolute length; everything
// else in this file works in epoch milliseconds.
import { DateTime, IANAZone } from 'luxon';
import { CalendarSpec, TimeInterval, Weekday, WEEKDAYS } from '../model';
import { isValidZone } from '../zones';

export const DEFAULT_CALENDAR: CalendarSpec = {
  zone: 'Europe/Moscow',
  week: {
    mon: [['10:00', '19:00']],
    tue: [['10:00', '19:00']],
    wed: [['10:00', '19:00']],
    thu: [['10:00', '19:00']],
    fri: [['10:00', '19:00']],
  },
  holidays: [],
};

export class CalendarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalendarError';
  }
}

const TIME_RE = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** How far ahead a search may run before we conclude the calendar never works again. */
const MAX_SEARCH_DAYS = 3 * 366;
const CACHE_LIMIT = 2000;
const DAY_MS = 86_400_000;

/** What the admin API accepts; they keep validation (and `leanestYear`) cheap. README "Calendar and policy bounds". */
export const CALENDAR_LIMITS = { intervalsPerDay: 24, datedDays: 2000 } as const;

function isDate(s: unknown): s is string {
  return typeof s === 'string' && DATE_RE.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid;
}

function checkIntervals(where: string, v: unknown, out: string[]): void {
  if (!Array.isArray(v)) {
    out.push(`${where}: expected an array of ["HH:MM","HH:MM"] intervals`);
    return;
  }
  v.forEach((iv: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!Array.isArray(iv) || iv.length !== 2) {
      out.push(`${at}: expected ["HH:MM","HH:MM"]`);
      return;
    }
    const [s, e] = iv as unknown[];
    let ok = true;
    for (const t of [s, e]) {
      if (typeof t !== 'string' || !TIME_RE.test(t)) {
        out.push(`${at}: bad time ${JSON.stringify(t)} (expected HH:MM, 00:00-23:59)`);
        ok = false;
      }
    }
    if (!ok) return;
    if (s === '24:00') out.push(`${at}: "24:00" is only allowed as an interval end`);
    // Equal ends would otherwise read as "24h from here"; only midnight-to-midnight means that.
    else if (s === e && s !== '00:00') out.push(`${at}: zero-length interval ${s}-${e}`);
  });
}

/** Problems that make a spec unusable for arithmetic at all (stored specs are held to this much). */
function shapeProblems(spec: unknown): string[] {
  const out: string[] = [];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return ['calendar: expected an object'];
  const s = spec as Record<string, unknown>;
  if (!isValidZone(s.zone)) {
    out.push(`zone: unknown IANA time zone ${JSON.stringify(s.zone)}`);
  }
  if (typeof s.week !== 'object' || s.week === null || Array.isArray(s.week)) {
    out.push('week: expected an object keyed by mon..sun');
  } else {
    for (const [k, v] of Object.entries(s.week)) {
      if ((WEEKDAYS as readonly string[]).includes(k)) checkIntervals(`week.${k}`, v, out);
      else out.push(`week: unknown weekday ${JSON.stringify(k)} (expected one of ${WEEKDAYS.join(', ')})`);
    }
  }
  if (s.holidays !== undefined) {
    if (!Array.isArray(s.holidays)) out.push('holidays: expected an array of "YYYY-MM-DD" dates');
    else s.holidays.forEach((h: unknown, i) => {
      if (!isDate(h)) out.push(`holidays[${i}]: bad date ${JSON.stringify(h)} (expected YYYY-MM-DD)`);
    });
  }
  if (s.exceptions !== undefined) {
    if (typeof s.exceptions !== 'object' || s.exceptions === null || Array.isArray(s.exceptions)) {
      out.push('exceptions: expected an object keyed by "YYYY-MM-DD"');
    } else {
      for (const [k, v] of Object.entries(s.exceptions)) {
        if (!isDate(k)) out.push(`exceptions: bad date ${JSON.stringify(k)} (expected YYYY-MM-DD)`);
        else checkIntervals(`exceptions.${k}`, v, out);
      }
    }
  }
  return out;
}

/**
 * What the admin API accepts: a well-formed spec (holidays may be left out) that is small enough to check
 * and has working time in its week — dated exceptions alone run out, and then every clock of the client fails.
 * Returns human-readable problems, each naming its field (empty when valid).
 */
export function validateCalendar(spec: unknown): string[] {
  const out = shapeProblems(spec);
  if (out.length) return out;
  const s = spec as CalendarSpec;
  const { intervalsPerDay, datedDays } = CALENDAR_LIMITS;
  for (const [k, v] of Object.entries(s.week)) {
    if (v!.length > intervalsPerDay) out.push(`week.${k}: at most ${intervalsPerDay} intervals a day (got ${v!.length})`);
  }
  for (const [k, v] of Object.entries(s.exceptions ?? {})) {
    if (v.length > intervalsPerDay) out.push(`exceptions.${k}: at most ${intervalsPerDay} intervals a day (got ${v.length})`);
  }
  const holidays = s.holidays?.length ?? 0;
  const dated = new Set([...(s.holidays ?? []), ...Object.keys(s.exceptions ?? {})]).size;
  if (holidays > datedDays) out.push(`holidays: at most ${datedDays} dates (got ${holidays})`);
  else if (dated > datedDays) out.push(`exceptions: holidays and exceptions together may name at most ${datedDays} dates (got ${dated})`);
  if (!WEEKDAYS.some((d) => (s.week[d]?.length ?? 0) > 0)) {
    out.push('week: no working time; give at least one weekday an interval such as ["10:00","19:00"]');
  }
  return out;
}

/** The spec as stored and used: `holidays` may be left out and means none. */
export function normalizeCalendar<T>(spec: T): T {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const s = spec as Record<string, unknown>;
  return (s.holidays === undefined ? { ...s, holidays: [] } : s) as T;
}

interface Hm { h: number; m: number }
/** A wall-clock interval; `nextDay` when its end falls on the following local date. */
interface Rule { start: Hm; end: Hm; nextDay: boolean }
/** One local date: its midnight instant and the merged [startMs, endMs) intervals starting on it. */
interface Day { startMs: number; ivs: [number, number][] }
type YMD = { year: number; month: number; day: number };

function parseRule([s, e]: TimeInterval): Rule {
  const [sh, sm] = s.split(':').map(Number);
  const [eh, em] = e.split(':').map(Number);
  if (eh === 24) return { start: { h: sh, m: sm }, end: { h: 0, m: 0 }, nextDay: true };
  return { start: { h: sh, m: sm }, end: { h: eh, m: em }, nextDay: eh * 60 + em <= sh * 60 + sm };
}

/**
 * The instant a local wall-clock time names, whatever the date the code runs on. luxon would resolve an
 * ambiguous time with the offset in force today, so the same clock got different due times in summer and
 * winter; here it is the earlier occurrence (as business-time libraries do). A non-existent time (DST gap)
 * is pushed forward by the gap, as luxon does.
 */
function wallTime(zone: IANAZone, { year, month, day }: YMD, { h, m }: Hm): number {
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0-99 as 1900-1999
  at.setUTCHours(h, m, 0, 0);
  const local = at.getTime();
  const offsetMs = (t: number) => Math.round(zone.offset(t) * 60_000); // old local mean times have seconds
  // The offsets in force a day either side cover any single transition near this time.
  const before = offsetMs(local - DAY_MS);
  const after = offsetMs(local + DAY_MS);
  if (before === after) return local - before;
  const offsets = [before, offsetMs(local), after];
  const valid = offsets.map((o) => local - o).filter((t) => offsetMs(t) === local - t);
  return valid.length ? Math.min(...valid) : local - Math.min(...offsets);
}

function mergeSorted(ivs: [number, number][]): [number, number][] {
  ivs.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const iv of ivs) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push([iv[0], iv[1]]);
  }
  return out;
}

export class BusinessCalendar {
  readonly spec: CalendarSpec;
  private readonly week = new Map<Weekday, Rule[]>();
  private readonly exceptions = new Map<string, Rule[]>();
  private readonly holidays: Set<string>;
  /** With an empty week only dated exceptions can work, so searching past the last one is pointless. */
  private readonly lastWorkingException: string | null;
  private readonly weekHasTime: boolean;
  private readonly cache = new Map<string, Day>();
  private readonly zone: IANAZone;

  constructor(spec: CalendarSpec) {
    const problems = shapeProblems(spec);
    if (problems.length) throw new CalendarError(`invalid calendar: ${problems.join('; ')}`);
    this.spec = structuredClone(normalizeCalendar(spec)); // our cache must not go stale if the caller mutates theirs
    for (const d of WEEKDAYS) this.week.set(d, (this.spec.week[d] ?? []).map(parseRule));
    for (const [k, v] of Object.entries(this.spec.exceptions ?? {})) this.exceptions.set(k, v.map(parseRule));
    this.zone = IANAZone.create(this.spec.zone);
    this.holidays = new Set(this.spec.holidays);
    this.weekHasTime = [...this.week.values()].some((r) => r.length > 0);
    const working = [...this.exceptions].filter(([, r]) => r.length > 0).map(([k]) => k).sort();
    this.lastWorkingException = working.length ? working[working.length - 1] : null;
  }

  isWorking(at: Date): boolean {
    const t = at.getTime();
    const date = this.localDate(t);
    // Anything covering t started on t's local date or, if overnight, the one before.
    for (const d of [date.minus({ days: 1 }), date]) {
      if (this.day(d).ivs.some(([s, e]) => s <= t && t < e)) return true;
    }
    return false;
  }

  nextWorkingMoment(at: Date): Date {
    const t = at.getTime();
    for (const [s] of this.merged(t)) return new Date(Math.max(s, t));
    throw this.exhausted(at);
  }

  addWorkingTime(start: Date, ms: number): Date {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new CalendarError(`addWorkingTime: ms must be a finite number >= 0, got ${ms}`);
    const t = start.getTime();
    if (ms === 0) return new Date(t);
    let left = ms;
    for (const [s, e] of this.merged(t)) {
      const from = Math.max(s, t);
      // `<=` so that running out exactly at an interval end yields that end, not the next start.
      if (left <= e - from) return new Date(from + left);
      left -= e - from;
    }
    throw this.exhausted(start);
  }

  workingTimeBetween(a: Date, b: Date): number {
    return this.intervalsBetween(a, b).reduce((sum, iv) => sum + (iv.end.getTime() - iv.start.getTime()), 0);
  }

  /** Working intervals overlapping [from, to), merged and clipped to [from, to), in order. */
  intervalsBetween(from: Date, to: Date): { start: Date; end: Date }[] {
    const f = from.getTime();
    const t = to.getTime();
    const out: { start: Date; end: Date }[] = [];
    if (t <= f) return out;
    for (const [s, e] of this.merged(f, t)) {
      if (s >= t) break;
      out.push({ start: new Date(Math.max(s, f)), end: new Date(Math.min(e, t)) });
    }
    return out;
  }

  /** Working ms of the first local date at or after `at`'s local date that has any working intervals. */
  workingDayLength(at: Date): number {
    let date = this.localDate(at.getTime());
    for (let i = 0; i < MAX_SEARCH_DAYS && !this.pastLastWorkingDate(date); i++, date = date.plus({ days: 1 })) {
      const len = this.day(date).ivs.reduce((sum, [s, e]) => sum + (e - s), 0);
      if (len > 0) return len;
    }
    throw this.exhausted(at);
  }

  private exhausted(at: Date): CalendarError {
    return new CalendarError(
      this.weekHasTime
        ? `no working time within ${MAX_SEARCH_DAYS} days after ${at.toISOString()}`
        : `calendar has no working time after ${at.toISOString()}`,
    );
  }

  /** The local date of t, as a UTC-midnight DateTime used purely for date arithmetic. */
  private localDate(t: number): DateTime {
    const l = DateTime.fromMillis(t, { zone: this.spec.zone });
    return DateTime.utc(l.year, l.month, l.day);
  }

  private pastLastWorkingDate(date: DateTime): boolean {
    if (this.weekHasTime) return false;
    return this.lastWorkingException === null || date.toISODate()! > this.lastWorkingException;
  }

  private day(date: DateTime): Day {
    const key = date.toISODate()!;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const zone = this.zone;
    const ymd: YMD = { year: date.year, month: date.month, day: date.day };
    const next = date.plus({ days: 1 });
    const nextYmd: YMD = { year: next.year, month: next.month, day: next.day };
    // An explicit dated exception is the most specific statement, so it wins over a holiday.
    // A holiday removes only intervals that START on it: an overnight shift begun the evening
    // before still runs into the holiday morning (it belongs to the previous date).
    const rules = this.exceptions.get(key) ?? (this.holidays.has(key) ? [] : this.week.get(WEEKDAYS[date.weekday - 1])!);
    const ivs: [number, number][] = [];
    for (const r of rules) {
      const s = wallTime(zone, ymd, r.start);
      const e = wallTime(zone, r.nextDay ? nextYmd : ymd, r.end);
      if (e > s) ivs.push([s, e]); // a short interval swallowed whole by a DST gap vanishes
    }
    const result: Day = { startMs: wallTime(zone, ymd, { h: 0, m: 0 }), ivs: mergeSorted(ivs) };
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  /**
   * Merged working intervals ending after `fromMs`, in order. Stops at `untilMs` (days starting at or
   * after it are not examined) or when the search bound / last possible working date is passed.
   */
  private *merged(fromMs: number, untilMs = Infinity): Generator<[number, number]> {
    let date = this.localDate(fromMs).minus({ days: 1 }); // overnight intervals of the previous date
    let cur: [number, number] | null = null;
    for (let i = 0; i <= MAX_SEARCH_DAYS + 1; i++, date = date.plus({ days: 1 })) {
      if (this.pastLastWorkingDate(date)) break;
      const d = this.day(date);
      // Intervals of later dates start no earlier than this midnight, so `cur` can no longer grow.
      if (cur && d.startMs > cur[1]) {
        if (cur[1] > fromMs) yield cur;
        cur = null;
      }
      if (d.startMs >= untilMs) break;
      for (const [s, e] of d.ivs) {
        if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
        else {
          if (cur && cur[1] > fromMs) yield cur;
          cur = [s, e];
        }
      }
    }
    if (cur && cur[1] > fromMs) yield cur;
  }
}

/** Working time that a year of a calendar is sure to hold: what the admin API checks policies against. */
export interface Capacity {
  /** Working minutes in the leanest run of CAPACITY_WINDOW_DAYS consecutive local dates. */
  minutes: number;
  /** Its first date when holidays or exceptions make it leaner than a plain year of the week, else null. */
  from: string | null;
  /** The longest working day (minutes on one date): what `workingDayLength` may ask `addWorkingTime` for. */
  longestDayMinutes: number;
  /** Most intervals on one date: each may lose up to a DST gap (see `wallTime`). */
  mostIntervalsPerDay: number;
}

/** A third of the search horizon, so a result is always found with room to spare. */
export const CAPACITY_WINDOW_DAYS = 366;

type Span = [number, number]; // wall-clock minutes from a date's midnight; overnight ends run past 1440
const spans = (ivs: TimeInterval[]): Span[] =>
  mergeSorted(ivs.map(parseRule).map((r) => [r.start.h * 60 + r.start.m, (r.nextDay ? 1440 : 0) + r.end.h * 60 + r.end.m]));
const length = (ss: Span[]) => ss.reduce((n, [s, e]) => n + e - s, 0);

/** Minutes of a date's spans not already covered by the previous date's overnight spans. */
function fresh(cur: Span[], prev: Span[]): number {
  let shared = 0;
  for (const [ps, pe] of prev) {
    for (const [s, e] of cur) shared += Math.max(0, Math.min(e, pe - 1440) - Math.max(s, ps - 1440));
  }
  return length(cur) - shared;
}

function dayNumber(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number);
  const at = new Date(0);
  at.setUTCFullYear(y, m - 1, d);
  return Math.round(at.getTime() / DAY_MS);
}
const weekdayOf = (n: number) => (((n + 3) % 7) + 7) % 7; // day 0, 1970-01-01, was a Thursday (index 3)

/**
 * The leanest year of a calendar, counted in wall-clock minutes (DST shifts are the caller's margin). Only
 * holidays and exceptions make one year differ from another, so besides the seven alignments of a plain
 * year only the runs of dates touching a dated entry are examined.
 */
export function leanestYear(input: CalendarSpec): Capacity {
  const spec = normalizeCalendar(input);
  const W = CAPACITY_WINDOW_DAYS;
  const weekly = WEEKDAYS.map((d) => spans(spec.week[d] ?? []));
  const dated = new Map<number, Span[]>(spec.holidays.map((h) => [dayNumber(h), []]));
  for (const [k, v] of Object.entries(spec.exceptions ?? {})) dated.set(dayNumber(k), spans(v));
  const rawCounts = [...Object.values(spec.week), ...Object.values(spec.exceptions ?? {})].map((v) => v?.length ?? 0);
  const plain = weekly.map((w, i) => fresh(w, weekly[(i + 6) % 7]));
  const rules = (n: number) => dated.get(n) ?? weekly[weekdayOf(n)];
  const freshOn = new Map<number, number>(); // the dates whose count differs from their weekday's
  for (const n of dated.keys()) for (const k of [n, n + 1]) freshOn.set(k, fresh(rules(k), rules(k - 1)));

  let best = { minutes: Infinity, from: null as string | null };
  for (let a = 0; a < 7; a++) {
    let sum = 0;
    for (let i = 0; i < W; i++) sum += plain[(a + i) % 7];
    if (sum < best.minutes) best = { minutes: sum, from: null };
  }
  // Windows [s, s + W) holding a date in freshOn, as merged runs of start dates.
  const touched = [...freshOn.keys()].sort((x, y) => x - y);
  for (let i = 0; i < touched.length; ) {
    const first = i;
    const lo = touched[i] - W + 1;
    let hi = touched[i];
    while (++i < touched.length && touched[i] - W + 1 <= hi + 1) hi = touched[i];
    const run = new Int32Array(hi - lo + W); // dates lo .. hi + W - 1
    for (let j = 0, wd = weekdayOf(lo); j < run.length; j++, wd = wd === 6 ? 0 : wd + 1) run[j] = plain[wd];
    for (let j = first; j < i; j++) run[touched[j] - lo] = freshOn.get(touched[j])!;
    let sum = 0;
    for (let j = 0; j < W; j++) sum += run[j];
    for (let j = 0; ; j++) {
      if (sum < best.minutes) best = { minutes: sum, from: DateTime.fromMillis((lo + j) * DAY_MS, { zone: 'utc' }).toISODate() };
      if (lo + j === hi) break;
      sum += run[j + W] - run[j];
    }
  }
  return {
    ...best,
    longestDayMinutes: Math.max(...weekly.map(length), ...[...dated.values()].map(length)),
    mostIntervalsPerDay: Math.max(1, ...rawCounts),
  };
}
