// Reading "when" from people: durations ("2h", "90m", "1d 4h") and dates and times ("tomorrow 15:00", "fri 12:00",
// ISO 8601), in the writer's zone. chrono-node does the natural-language part.
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';

const DURATION = /^\s*(?:(\d+)\s*d(?:ays?)?)?\s*(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?\s*$/i;

/** Further ahead than anyone means by "in N days"; past it a duration is not read (and can't overflow a date). */
export const MAX_DURATION_MS = 10 * 366 * 24 * 3600_000;

export function parseDuration(text: string): number | null {
  if (text.length > 40) return null;
  const m = DURATION.exec(text);
  if (!m || !(m[1] || m[2] || m[3])) return null;
  const ms = ((+(m[1] ?? 0) * 24 + +(m[2] ?? 0)) * 60 + +(m[3] ?? 0)) * 60_000;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** Returns the instant, or null when the text is not a time we can read. Dates without a time are not accepted. */
export function parseWhen(text: string, now: Date, zone: string): Date | null {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > 100) return null;
  const ms = parseDuration(trimmed.replace(/^in\s+/i, ''));
  if (ms !== null) return new Date(now.getTime() + ms);
  // Only ISO forms that carry a date: luxon reads a bare time ("15:00") as today by the system clock, not `now`.
  const iso = DateTime.fromISO(trimmed, { zone, setZone: false });
  if (iso.isValid && /^\d{4}-/.test(trimmed) && /\d{2}:\d{2}/.test(trimmed)) return iso.toJSDate();
  // chrono takes the reference zone as an offset in minutes; the zone's offset at `now` is right except across a
  // DST change between now and the date named, which we correct by re-reading the wall time in the zone.
  const offset = DateTime.fromJSDate(now, { zone }).offset;
  const parsed = chrono.parse(trimmed, { instant: now, timezone: offset }, { forwardDate: true });
  if (parsed.length !== 1 || parsed[0].text.trim().length < trimmed.length - 1) return null;
  const start = parsed[0].start;
  if (!start.isCertain('hour')) return null;
  const wall = DateTime.fromObject(
    { year: start.get('year')!, month: start.get('month')!, day: start.get('day')!, hour: start.get('hour')!, minute: start.get('minute') ?? 0 },
    { zone },
  );
  return wall.isValid ? wall.toJSDate() : null;
}

/** How far ahead a manager may promise (an ETA) or plan (a milestone, a call): beyond is a typo, not a plan. */
export const MAX_AHEAD_DAYS = { eta: 366, milestone: 2 * 366, call: 366 } as const;

export function tooFarAhead(at: Date, now: Date, kind: keyof typeof MAX_AHEAD_DAYS): boolean {
  return !(at.getTime() - now.getTime() <= MAX_AHEAD_DAYS[kind] * 24 * 3600_000);
}
