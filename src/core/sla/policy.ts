import { URGENCIES, type PolicySpec, type Urgency } from '../model';

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

export function validatePolicy(v: unknown): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return ['policy must be an object'];
  const p = v as Record<string, unknown>;
  const problems: string[] = [];
  if (p.targets !== undefined) {
    if (!p.targets || typeof p.targets !== 'object') problems.push('targets must be an object');
    else
      for (const [u, t] of Object.entries(p.targets as Record<string, unknown>)) {
        if (!(URGENCIES as readonly string[]).includes(u)) problems.push(`targets: unknown urgency "${u}"`);
        const target = t as { minutes?: unknown; hours?: unknown } | null;
        if (!target || typeof target.minutes !== 'number' || !(target.minutes > 0))
          problems.push(`targets.${u}.minutes must be a positive number`);
        if (!target || (target.hours !== 'business' && target.hours !== '24x7'))
          problems.push(`targets.${u}.hours must be "business" or "24x7"`);
      }
  }
  if (p.warnAt !== undefined && (!Array.isArray(p.warnAt) || p.warnAt.some((f) => typeof f !== 'number' || f <= 0 || f >= 1)))
    problems.push('warnAt must be a list of fractions between 0 and 1');
  if (p.plainReplyCounts !== undefined && typeof p.plainReplyCounts !== 'boolean') problems.push('plainReplyCounts must be a boolean');
  if (p.reopenDays !== undefined && (typeof p.reopenDays !== 'number' || p.reopenDays < 0)) problems.push('reopenDays must be a number ≥ 0');
  return problems;
}

export function targetFor(policy: PolicySpec, urgency: Urgency) {
  return policy.targets[urgency] ?? DEFAULT_POLICY.targets[urgency];
}
