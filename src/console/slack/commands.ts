// Slash commands (SPEC §5). Slack passes no thread to a slash command, so each names its case (#1042) or means the
// channel's most recent open case. Arguments are checked before anything happens: bad ones get a usage message
// and change nothing.
import { parseWhen } from '../../core/when';
import { isUrgency } from '../../core/model';

export type SlashAction =
  | { kind: 'urgency'; caseNumber?: number; level: string }
  | { kind: 'eta'; caseNumber?: number; when: string }
  | { kind: 'needinfo'; caseNumber?: number; question: string }
  | { kind: 'resolve'; caseNumber?: number; summary: string }
  | { kind: 'escalate'; caseNumber?: number; reason: string }
  | { kind: 'away' | 'back' | 'cases' | 'features' }
  | { kind: 'sla'; client: string }
  | { kind: 'link'; client: string };

export const USAGE: Record<string, string> = {
  '/urgency': 'Usage: `/urgency <critical|high|medium|low|informational|feature> [#case]`',
  '/eta': 'Usage: `/eta <when> [#case]` — e.g. `/eta 2h`, `/eta 90m #1042`, `/eta tomorrow 15:00`, `/eta fri 12:00` (your time zone)',
  '/needinfo': 'Usage: `/needinfo [#case] <question for the client>`',
  '/resolve': 'Usage: `/resolve [#case] [summary for the client]`',
  '/escalate': 'Usage: `/escalate [#case] <reason>`',
  '/link': 'Usage: `/link <client>` — in a channel shared with the client (Slack Connect): their posts there become cases',
  '/away': 'Usage: `/away`', '/back': 'Usage: `/back`', '/cases': 'Usage: `/cases`', '/features': 'Usage: `/features`', '/sla': 'Usage: `/sla [client]`',
};

/** Takes a "#1042" token out of the text, wherever it stands. */
export function takeCaseRef(text: string): { caseNumber?: number; rest: string } {
  const m = /(^|\s)#(\d{1,9})(?=\s|$)/.exec(text);
  if (!m) return { rest: text.trim() };
  return { caseNumber: Number(m[2]), rest: (text.slice(0, m.index) + ' ' + text.slice(m.index + m[0].length)).replace(/\s+/g, ' ').trim() };
}

export type Parsed = { ok: true; action: SlashAction } | { ok: false; usage: string };

export function parseSlash(command: string, text: string, zone: string, now: Date): Parsed {
  const bad = (why?: string): Parsed => ({ ok: false, usage: `${why ? `${why}\n` : ''}${USAGE[command] ?? 'Unknown command'}` });
  const { caseNumber, rest } = takeCaseRef(text ?? '');
  switch (command) {
    case '/urgency':
      return isUrgency(rest.toLowerCase()) ? { ok: true, action: { kind: 'urgency', caseNumber, level: rest.toLowerCase() } } : bad(rest ? `"${rest}" is not an urgency.` : undefined);
    case '/eta': {
      if (!rest) return bad();
      const at = parseWhen(rest, now, zone);
      if (!at) return bad(`Can't read "${rest}" as a time.`);
      if (at.getTime() <= now.getTime()) return bad(`"${rest}" is not in the future.`);
      return { ok: true, action: { kind: 'eta', caseNumber, when: rest } };
    }
    case '/needinfo':
      return rest ? { ok: true, action: { kind: 'needinfo', caseNumber, question: rest } } : bad();
    case '/resolve':
      return { ok: true, action: { kind: 'resolve', caseNumber, summary: rest } };
    case '/escalate':
      return rest ? { ok: true, action: { kind: 'escalate', caseNumber, reason: rest } } : bad();
    case '/away':
    case '/back':
    case '/cases':
    case '/features':
      return text.trim() ? bad() : { ok: true, action: { kind: command.slice(1) as 'away' } };
    case '/sla':
      return { ok: true, action: { kind: 'sla', client: text.trim() } };
    case '/link':
      return text.trim() ? { ok: true, action: { kind: 'link', client: text.trim() } } : bad();
    default:
      return bad();
  }
}
