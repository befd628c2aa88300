import { URGENCIES, type CalendarSpec, type PolicySpec, type Urgency } from '../model';
import { CAPACITY_WINDOW_DAYS, leanestYear } from './calendar';

/** SPEC §3 defaults, from the premium support agreement. */
export const DEFAULT_POLICY: PolicySpec = {
  targets: {
    critical: { minutes: 15, hours: '24x7' },
    high: { minutes: 30, hours: 'business' },
    medium: { minutes: 60, hours: 'business' },
    low: { minutes: 60, hours: 'business' },
    informational: { minutes: 300, hours: 'business' },
    feature: { minutes: 300, hours: 'business' },
  },
  warnAt: [0.5, 0.8],
  plainReplyCounts: false,
  reopenDays: 7,
};

/** A stored policy may override only some fields; the rest come from the defaults. */
export type PolicyOverrides = Partial<Omit<PolicySpec, 'targets'>> & { targets?: Partial<PolicySpec['targets']> };

export function effectivePolicy(partial: PolicyOverrides | null | undefined): PolicySpec {
  if (!partial) return DEFAULT_POLICY;
  return {
    targets: { ...DEFAULT_POLICY.targets, ...(partial.targets ?? {}) },
    warnAt: partial.warnAt ?? DEFAULT_POLICY.warnAt,
    plainReplyCounts: partial.plainReplyCounts ?? DEFAULT_POLICY.plainReplyCounts,
    reopenDays: partial.reopenDays ?? DEFAULT_POLICY.reopenDays,
  };
}

/** What the admin API accepts; README "Calendar and policy bounds". Minutes fit the clocks' integer column. */
export const POLICY_LIMITS = { maxTargetMinutes: 43_200, maxWarnings: 10, maxReopenDays: 365 } as const;

const isWhole = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function validatePolicy(v: unknown): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return ['policy must be an object'];
  const p = v as Record<string, unknown>;
  const { maxTargetMinutes, maxWarnings, maxReopenDays } = POLICY_LIMITS;
  const problems: string[] = [];
  if (p.targets !== undefined) {
    if (!p.targets || typeof p.targets !== 'object' || Array.isArray(p.targets)) problems.push('targets must be an object keyed by urgency');
    else
      for (const [u, t] of Object.entries(p.targets as Record<string, unknown>)) {
        if (!(URGENCIES as readonly string[]).includes(u)) problems.push(`targets: unknown urgency "${u}"`);
        const target = t as { minutes?: unknown; hours?: unknown } | null;
        if (!target || !isWhole(target.minutes, 1, maxTargetMinutes))
          problems.push(`targets.${u}.minutes must be a positive number of whole minutes, at most ${maxTargetMinutes} (got ${JSON.stringify(target?.minutes ?? null)})`);
        if (!target || (target.hours !== 'business' && target.hours !== '24x7'))
          problems.push(`targets.${u}.hours must be "business" or "24x7"`);
      }
  }
  if (p.warnAt !== undefined) {
    if (!Array.isArray(p.warnAt) || p.warnAt.some((f) => typeof f !== 'number' || !(f > 0 && f < 1)))
      problems.push('warnAt must be a list of fractions between 0 and 1 (exclusive), e.g. [0.5, 0.8]');
    else if (p.warnAt.length > maxWarnings) problems.push(`warnAt: at most ${maxWarnings} fractions (got ${p.warnAt.length})`);
  }
  if (p.plainReplyCounts !== undefined && typeof p.plainReplyCounts !== 'boolean') problems.push('plainReplyCounts must be a boolean');
  if (p.reopenDays !== undefined && !isWhole(p.reopenDays, 0, maxReopenDays))
    problems.push(`reopenDays must be a whole number of days from 0 to ${maxReopenDays} (got ${JSON.stringify(p.reopenDays)})`);
  return problems;
}

/** The largest DST gap (or fall-back gain) allowed for: 2 h (Antarctica/Troll; most zones shift by 1 h). */
const DST_SHIFT_MINUTES = 120;

/**
 * Whether a calendar can serve a policy: every business-hours target (and any `runningMinutes` of clocks
 * already counting) must fit in the calendar's leanest year, as must a working day for call slots, with a
 * margin for DST. The calendar searches three years ahead, so a deadline, a warning, a recompute from a
 * clock's original start and the earliest call slot are always found. Empty when they fit.
 */
export function fitProblems(calendar: CalendarSpec, policy: PolicySpec, runningMinutes = 0): string[] {
  const cap = leanestYear(calendar);
  const longest = URGENCIES.filter((u) => targetFor(policy, u).hours === 'business')
    .reduce<Urgency | null>((a, u) => (!a || targetFor(policy, u).minutes > targetFor(policy, a).minutes ? u : a), null);
  const policyMinutes = longest ? targetFor(policy, longest).minutes : 0;
  const targetMinutes = Math.max(policyMinutes, runningMinutes);
  // A 366-day run may hold two spring gaps; each interval reaching one (the date's own, or the previous
  // date's overnight ones) may lose up to the gap, as a start inside it moves forward. A fall-back day is
  // longer by up to the shift, so one working day may need that much more.
  const margin = DST_SHIFT_MINUTES * (2 * 2 * cap.mostIntervalsPerDay + 1);
  const need = Math.max(targetMinutes, cap.longestDayMinutes) + margin;
  if (cap.minutes >= need) return [];
  const what =
    targetMinutes < cap.longestDayMinutes ? `a call slot one working day ahead (${cap.longestDayMinutes} minutes)`
    : runningMinutes > policyMinutes ? `a running clock's business-hours target of ${runningMinutes} minutes`
    : `targets.${longest}.minutes (${targetMinutes} business minutes)`;
  const where = cap.from ? `the ${CAPACITY_WINDOW_DAYS} days from ${cap.from} hold` : `a year (${CAPACITY_WINDOW_DAYS} days) of this week holds`;
  return [
    `too little working time: ${where} ${cap.minutes} working minutes, and ${what} ` +
      `needs at least ${need} in any ${CAPACITY_WINDOW_DAYS} days (${margin} of them a margin for daylight-saving shifts)`,
  ];
}

export function targetFor(policy: PolicySpec, urgency: Urgency) {
  return policy.targets[urgency] ?? DEFAULT_POLICY.targets[urgency];
}
