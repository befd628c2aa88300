// Urgency precedence (SPEC §2): manager > client's explicit choice > keyword classifier > medium.
import { URGENCIES, type Urgency } from './model';

/** Phrases per urgency, matched case-insensitively on word boundaries. Configurable per vendor (settings 'triage'). */
export type TriageRules = Partial<Record<Urgency, string[]>>;

export const DEFAULT_TRIAGE: TriageRules = {
  critical: [
    'down', 'outage', 'not tracking', 'stopped tracking', 'all conversions lost', 'conversions lost', 'nothing works',
    'data loss', 'cannot log in', "can't log in", 'urgent',
  ],
  high: ['broken', 'not working', 'error', 'failing', 'wrong numbers', 'discrepancy'],
  informational: ['fyi', 'just letting you know', 'for your information'],
  feature: ['feature request', 'it would be nice', 'would be great if', 'could you add', 'wish list'],
};

export type UrgencySource = 'manager' | 'client' | 'classifier' | 'default';

export interface TriageResult {
  urgency: Urgency;
  source: UrgencySource;
  reason: string;
}

const cache = new WeakMap<TriageRules, { urgency: Urgency; phrase: string; re: RegExp }[]>();

function compile(rules: TriageRules) {
  let compiled = cache.get(rules);
  if (!compiled) {
    compiled = [];
    for (const urgency of URGENCIES) {
      for (const phrase of rules[urgency] ?? []) {
        const escaped = phrase.trim().toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
        if (escaped) compiled.push({ urgency, phrase, re: new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu') });
      }
    }
    cache.set(rules, compiled);
  }
  return compiled;
}

/** The most urgent level whose phrase occurs in the text wins. */
export function classify(text: string, rules: TriageRules): TriageResult | null {
  for (const rule of compile(rules)) {
    if (rule.re.test(text)) return { urgency: rule.urgency, source: 'classifier', reason: `keyword "${rule.phrase}"` };
  }
  return null;
}

export function triage(text: string, explicit: Urgency | undefined, rules: TriageRules): TriageResult {
  if (explicit) return { urgency: explicit, source: 'client', reason: 'chosen by the client' };
  return classify(text, rules) ?? { urgency: 'medium', source: 'default', reason: 'no urgency given or recognised' };
}

export function validateTriageRules(v: unknown): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return ['triage rules must be an object of urgency → phrases'];
  const problems: string[] = [];
  for (const [k, list] of Object.entries(v)) {
    if (!(URGENCIES as readonly string[]).includes(k)) problems.push(`unknown urgency "${k}"`);
    else if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || !p.trim()))
      problems.push(`${k} must be a list of non-empty phrases`);
  }
  return problems;
}
