// Which conversation a mail belongs to, in the order that is hardest to get wrong: the Message-IDs it answers
// (ours and the client's earlier ones, and the ids a bounce reports), then the case token in its subject ([#1042]),
// then a plus-address to one of ours (support+1042@…). Anything else starts a thread of its own.
import type { ChannelDeps } from '../../src/channels/module';
import { conversationKey, MAX_THREAD_IDS, parseAddress, plusCaseNumber, rootOf, unique } from './address';
import type { ParsedEmail } from './parse';

export type Via = 'references' | 'subject' | 'plus-address' | 'new';

export interface Thread {
  conversationKey: string;
  via: Via;
  /** The thread's ids for References on our replies, oldest first. */
  thread: string[];
}

/** Ids a lookup tries, most recent first; a long Gmail References chain is cut, its newest ids kept. */
const LOOKUP_IDS = 24;

export const CASE_TOKEN = /\[#(\d{1,9})\]/;

export async function findThread(
  p: ParsedEmail, scope: string, ours: ReadonlySet<string>, conversationOf: ChannelDeps<unknown>['conversationOf'],
): Promise<Thread> {
  const ids = unique([...p.inReplyTo, ...[...p.references].reverse(), ...p.reportedIds]).filter((id) => id !== p.messageId).slice(0, LOOKUP_IDS);
  const own = [...p.references, ...p.inReplyTo.filter((id) => !p.references.includes(id))];
  // The root stays first (clients thread on it); the newest ids fill the rest.
  const chain = (root: string | null) => unique([...(root ? [root] : own.slice(0, 1)), ...own.slice(-(MAX_THREAD_IDS - 2)), p.messageId]);

  if (ids.length) {
    const found = await conversationOf({ platformIds: ids.map((externalId) => ({ scope, externalId })) });
    if (found) return { conversationKey: found.conversationKey, via: 'references', thread: chain(rootFrom(found, scope)) };
  }
  const token = CASE_TOKEN.exec(p.subject);
  if (token) {
    const found = await conversationOf({ caseNumber: Number(token[1]) });
    if (found) return { conversationKey: found.conversationKey, via: 'subject', thread: chain(rootFrom(found, scope)) };
  }
  for (const r of p.recipients) {
    const n = plusCaseNumber(r, ours);
    if (n === null) continue;
    const found = await conversationOf({ caseNumber: n });
    if (found) return { conversationKey: found.conversationKey, via: 'plus-address', thread: chain(rootFrom(found, scope)) };
  }
  // A new thread: keyed by its own first mail. What it referenced (a forwarded chain) stays in References.
  return { conversationKey: conversationKey(scope, p.messageId), via: 'new', thread: chain(null) };
}

function rootFrom(found: { conversationKey: string; address: unknown }, scope: string): string | null {
  return rootOf(found.conversationKey, scope) ?? parseAddress(found.address)?.thread[0] ?? null;
}
