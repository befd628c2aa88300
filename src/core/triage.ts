// Urgency precedence (SPEC §2): manager > client's explicit choice > keyword classifier > medium.
import { URGENCIES, type Urgency } from './model';

/** Phrases per urgency, matched case-insensitively on whole words. Configurable per vendor (settings 'triage'). */
export type TriageRules = Partial<Record<Urgency, string[]>>;

// Every new case is classified on the event loop, so every request (even /healthz) waits for it; these bounds keep
// the compiled matcher small enough for that to stay well under a millisecond (an unbounded list once took seconds).
export const TRIAGE_BOUNDS = { perUrgency: 200, total: 500, phraseLength: 80 } as const;

export const DEFAULT_TRIAGE: TriageRules = {
  critical: [
    'down', 'outage', 'not tracking', 'stopped tracking', 'all conversions lost', 'conversions lost', 'nothing works',
    'nothing is working', 'data loss', 'cannot log in', "can't log in", 'urgent',
  ],
  high: [
    'broken', 'not working', "isn't working", "doesn't work", 'does not work', 'stopped working', 'error', 'failing',
    'wrong numbers', 'discrepancy',
  ],
  low: ['not urgent', "isn't urgent", 'no rush', 'low priority'],
  informational: ['fyi', 'just letting you know', 'for your information'],
  feature: [
    'feature request', 'it would be nice', 'would be nice', 'would be great if', 'could you add', 'can you add', 'please add',
    'i wish', 'wish list', 'wishlist',
  ],
};

export type UrgencySource = 'manager' | 'client' | 'classifier' | 'default';

export interface TriageResult {
  urgency: Urgency;
  source: UrgencySource;
  reason: string;
}

interface Entry { urgency: Urgency; phrase: string; selfNegated: boolean }
interface Compiled { re: RegExp; entries: Entry[] } // entries[i] belongs to the regexp's capture group i
interface Hit extends Entry { at: number }

const NEGATORS = new Set([
  'not', 'no', 'never', 'without', "nothing's", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't",
  "hasn't", "haven't", "won't", 'isnt', 'arent', 'wasnt', 'dont', 'doesnt', 'didnt',
]);
// "Not sure if it's down", "don't know why it's down": a negation doesn't reach past these into the next clause.
const CLAUSE_WORDS = new Set(['if', 'whether', 'why', 'because', 'since', 'when', 'and', 'or', 'but', 'so', 'though', 'although']);
const NEGATION_WINDOW = 4; // words before a phrase, within its clause
const words = (s: string) => s.toLowerCase().replace(/’/g, "'").match(/[\p{L}\p{N}']+/gu) ?? [];

// Vendor rules arrive as a fresh object with every message (parsed from the database), so compiled rules are cached
// by content: serialising a bounded list costs tens of microseconds, compiling it tens of milliseconds. Listed in
// URGENCIES order because jsonb does not keep the order the admin wrote the keys in.
const cache = new Map<string, Compiled>();

function compile(rules: TriageRules): Compiled {
  const key = JSON.stringify(URGENCIES.map((u) => rules[u] ?? null));
  let compiled = cache.get(key);
  if (compiled) return compiled;
  type Node = { next: Map<string, Node>; entry?: Entry };
  const root: Node = { next: new Map() };
  let total = 0;
  for (const urgency of URGENCIES) {
    const list = Array.isArray(rules[urgency]) ? rules[urgency]! : [];
    // Rules stored before the bounds existed are used up to the bounds rather than blocking intake.
    for (const raw of list.slice(0, TRIAGE_BOUNDS.perUrgency)) {
      const phrase = typeof raw === 'string' ? raw.trim() : '';
      if (!phrase || phrase.length > TRIAGE_BOUNDS.phraseLength || total >= TRIAGE_BOUNDS.total) continue;
      total++;
      let node = root;
      for (const ch of phrase.toLowerCase().replace(/\s+/g, ' ').replace(/’/g, "'")) {
        if (!node.next.has(ch)) node.next.set(ch, { next: new Map() });
        node = node.next.get(ch)!;
      }
      // A phrase such as "not working" carries its own negation: a negator before it doesn't cancel it.
      const first = words(phrase)[0] ?? '';
      node.entry ??= { urgency, phrase, selfNegated: NEGATORS.has(first) || ['cannot', "can't", 'nothing'].includes(first) };
    }
  }
  // One regexp shaped like a trie: at each word start only the branch of the next character is followed, so the
  // cost grows with the message, not with the number of phrases. A `()` marks which phrase ended there.
  const entries: Entry[] = [];
  let groups = 0;
  const atom = (ch: string) => (ch === ' ' ? '\\s+' : ch === "'" ? "['’]" : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const emit = (node: Node): string => {
    const alts = [...node.next].map(([ch, child]) => atom(ch) + emit(child));
    if (node.entry) {
      entries[++groups] = node.entry;
      alts.push('()');
    }
    return alts.length === 1 ? alts[0] : `(?:${alts.join('|')})`;
  };
  const body = root.next.size ? emit(root) : '(?!)';
  // A hyphen joins words: "drop-down" and "non-urgent" are not "down" and "urgent".
  const source = `(?<![\\p{L}\\p{N}])(?<![\\p{L}\\p{N}]-)${body}(?![\\p{L}\\p{N}])(?!-[\\p{L}\\p{N}])`;
  compiled = { re: new RegExp(source, 'gu'), entries };
  if (cache.size >= 8) cache.delete(cache.keys().next().value!);
  cache.set(key, compiled);
  return compiled;
}

function negated(text: string, at: number): boolean {
  const clause = /[^.,;:!?()\n—–]*$/.exec(text.slice(Math.max(0, at - 100), at))![0];
  const w = words(clause).slice(-NEGATION_WINDOW);
  w.splice(0, w.map((x) => CLAUSE_WORDS.has(x)).lastIndexOf(true) + 1);
  return w.some((x, i) => NEGATORS.has(x) || (x === 'nothing' && w[i + 1] === 'is'));
}

// Sentences, and clauses after a contrast ("…, but the site is down"): an alarm there is a separate report.
const PART_BREAK = /[.!?;]+(?=\s|$)|\n|\b(?:but|however|btw|by the way)\b/giu;
function partOf(text: string): (at: number) => number {
  const breaks = [...text.matchAll(PART_BREAK)].map((m) => m.index!);
  return (at) => breaks.filter((b) => b < at).length;
}

function hitsIn(text: string, rules: TriageRules): Hit[] {
  const { re, entries } = compile(rules);
  const hits: Hit[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const entry = entries[m.indexOf('', 1)];
    if (entry && (entry.selfNegated || !negated(text, m.index))) hits.push({ ...entry, at: m.index });
  }
  return hits;
}

const rank = (u: Urgency) => URGENCIES.indexOf(u);
const mostUrgent = (hits: Hit[]) => hits.reduce((a, b) => (rank(b.urgency) < rank(a.urgency) ? b : a));
const found = (h: Hit, why = ''): TriageResult => ({ urgency: h.urgency, source: 'classifier', reason: `keyword "${h.phrase}"${why}` });

/**
 * The most urgent level whose phrase occurs (not negated) wins, except that a feature request decides its own
 * sentence: requests name the alarm they want handled ("alert us when tracking is down", "an 'urgent' flag"), and
 * paging someone around the clock for a wish costs more than answering a real alarm worded as one a little later.
 * An alarm in a separate sentence or after "but", or two different critical phrases, still wins.
 */
export function classify(original: string, rules: TriageRules): TriageResult | null {
  // Lowercased here rather than matched case-insensitively: such a regexp compiles and runs several times slower.
  const text = original.toLowerCase();
  const hits = hitsIn(text, rules);
  if (!hits.length) return null;
  const requests = hits.filter((h) => h.urgency === 'feature');
  if (!requests.length) return found(mostUrgent(hits));
  const part = partOf(text);
  const requestParts = new Set(requests.map((h) => part(h.at)));
  const alarms = hits.filter((h) => rank(h.urgency) <= rank('high'));
  const separate = alarms.filter((h) => !requestParts.has(part(h.at)));
  if (separate.length) return found(mostUrgent(separate));
  const critical = [...new Set(alarms.filter((h) => h.urgency === 'critical').map((h) => h.phrase))];
  if (critical.length >= 2) return { urgency: 'critical', source: 'classifier', reason: `keywords ${critical.map((p) => `"${p}"`).join(', ')}` };
  return found(requests[0], alarms.length ? ` outweighs "${alarms[0].phrase}" in the same sentence` : '');
}

export function triage(text: string, explicit: Urgency | undefined, rules: TriageRules): TriageResult {
  if (explicit) return { urgency: explicit, source: 'client', reason: 'chosen by the client' };
  return classify(text, rules) ?? { urgency: 'medium', source: 'default', reason: 'no urgency given or recognised' };
}

export function validateTriageRules(v: unknown): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return ['triage rules must be an object of urgency → phrases'];
  const { perUrgency, total, phraseLength } = TRIAGE_BOUNDS;
  const problems: string[] = [];
  let count = 0;
  for (const [k, list] of Object.entries(v)) {
    if (!(URGENCIES as readonly string[]).includes(k)) problems.push(`unknown urgency "${k}"`);
    else if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || !p.trim()))
      problems.push(`${k} must be a list of non-empty phrases`);
    else {
      count += list.length;
      if (list.length > perUrgency) problems.push(`${k} has ${list.length} phrases, at most ${perUrgency} per urgency are allowed`);
      const long = (list as string[]).findIndex((p) => p.trim().length > phraseLength);
      if (long >= 0) problems.push(`${k}[${long}] is longer than ${phraseLength} characters, the most a phrase may have`);
    }
  }
  if (count > total) problems.push(`${count} phrases in all, at most ${total} in total are allowed`);
  return problems;
}
