// Email's ids and addresses. A conversation is a mail thread: its key names the mailbox and the Message-ID of the
// mail that started it. Message-IDs (ours and the clients') live in one scope per mailbox account, so a reply's
// In-Reply-To finds our mail and the client's earlier ones by the same lookup.
import { createHash } from 'node:crypto';

/** Where a reply goes and how it threads. Stored on the case (opaque to core). */
export interface EmailAddress {
  /** The client's address (Reply-To when the mail had one). */
  to: string;
  name: string;
  /** The thread's subject without Re:, case tokens or urgency tags. */
  subject: string;
  /** Message-IDs for References, oldest first: the thread's root, then what the mail we answer referenced. */
  thread: string[];
}

export const MAX_THREAD_IDS = 12;

export const scopeOf = (imapUser: string) => imapUser.trim().toLowerCase();
export const conversationKey = (scope: string, rootId: string) => `email:${scope}:${rootId}`;

export function rootOf(key: string, scope: string): string | null {
  const prefix = `email:${scope}:`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : null;
}

export function parseAddress(a: unknown): EmailAddress | null {
  if (!a || typeof a !== 'object') return null;
  const x = a as Partial<EmailAddress>;
  if (typeof x.to !== 'string' || !x.to.includes('@')) return null;
  return {
    to: x.to, name: typeof x.name === 'string' ? x.name : '', subject: typeof x.subject === 'string' ? x.subject : '',
    thread: Array.isArray(x.thread) ? x.thread.filter((t): t is string => typeof t === 'string') : [],
  };
}

export const normalizeAddress = (a: string) => a.trim().replace(/^<|>$/g, '').toLowerCase();

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/**
 * Keys that tie a sender to a client, most specific first: the address, its domain, then the parent domains down to
 * two labels (a client's acme.com also covers mx1.acme.com, whose MAILER-DAEMON reports bounces).
 */
export function linkKeysOf(address: string): string[] {
  const domain = domainOf(address);
  const keys = [address];
  const labels = domain.split('.').filter(Boolean);
  for (let i = 0; i + 2 <= labels.length; i++) keys.push(labels.slice(i).join('.'));
  return keys;
}

/** The case number in a plus-address to one of ours (support+1042@acme.com), or null. */
export function plusCaseNumber(recipient: string, ours: ReadonlySet<string>): number | null {
  const m = /^([^+@]+)\+(\d{1,9})@(.+)$/.exec(recipient);
  if (!m || !ours.has(`${m[1]}@${m[3]}`)) return null;
  return Number(m[2]);
}

/** Angle-bracketed ids out of a header value; a bare token when the sender left the brackets out. */
export function messageIds(value: string | string[] | undefined | null): string[] {
  const values = Array.isArray(value) ? value : value ? [value] : [];
  const out: string[] = [];
  for (const v of values) {
    const bracketed = [...v.matchAll(/<([^<>\s]{1,998})>/g)].map((m) => m[1]);
    if (bracketed.length) out.push(...bracketed);
    else for (const t of v.split(/[\s,]+/)) if (/^[^\s<>]+@[^\s<>]+$/.test(t)) out.push(t);
  }
  return out;
}

export function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

export const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
