// OutboundMessage → sendMessage text and keyboard. Telegram's HTML parse mode: every <, > and & that isn't markup
// must be an entity, or the send fails with "can't parse entities". The manager's name is a bold first line; the
// rest is core's text, escaped, never interpreted as markup.
import type { OutboundChoice, OutboundMessage } from '../../src/core/ports';

/** sendMessage's limit, counted in UTF-16 code units of the text after entity parsing (tags don't count). */
export const TELEGRAM_MAX_TEXT = 4096;
/** Room kept for the author line in every part core composes (see capabilities.maxTextLength). */
export const AUTHOR_MAX = 64;
/** callback_data is 1-64 bytes. */
const CALLBACK_DATA_MAX = 64;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface InlineButton {
  text: string;
  callback_data: string;
}

export interface Rendered {
  /** HTML parts to send in order: usually one; more only if a part still exceeds Telegram's limit. */
  parts: string[];
  keyboard?: { inline_keyboard: InlineButton[][] };
}

/**
 * `continuation`: this is a later part of a message core split; it goes without the author line (the first part has
 * it), and without a notification of its own.
 */
export function render(msg: OutboundMessage, opts: { continuation?: boolean } = {}): Rendered {
  const author = msg.author && !opts.continuation ? authorLine(msg.author.name) : null;
  const pieces = splitText(msg.text, TELEGRAM_MAX_TEXT - (author ? author.length + 1 : 0));
  const parts = pieces.map((p, i) => (i === 0 && author ? `<b>${escapeHtml(author)}</b>\n` : '') + escapeHtml(p));
  const { buttons, leftover } = keyboardOf(msg.choices ?? []);
  // A choice too long for callback data is offered the way platforms without buttons offer it: as text to send.
  if (leftover.length) parts[parts.length - 1] += '\n' + leftover.map((c) => escapeHtml(`${c.label} — send ${c.value}`)).join('\n');
  return { parts, ...(buttons.length ? { keyboard: { inline_keyboard: buttons.map((b) => [b]) } } : {}) };
}

function authorLine(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  return clean.length > AUTHOR_MAX ? `${clean.slice(0, AUTHOR_MAX - 1)}…` : clean;
}

function keyboardOf(choices: OutboundChoice[]): { buttons: InlineButton[]; leftover: OutboundChoice[] } {
  const buttons: InlineButton[] = [];
  const leftover: OutboundChoice[] = [];
  for (const c of choices) {
    if (c.value && Buffer.byteLength(c.value) <= CALLBACK_DATA_MAX) buttons.push({ text: c.label, callback_data: c.value });
    else leftover.push(c);
  }
  return { buttons, leftover };
}

/**
 * Core splits at the capability's maxTextLength already; this only catches what still doesn't fit. Cuts at a
 * paragraph, then a sentence end, then a line, then a space, never in a surrogate pair; no part is empty.
 */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const floor = Math.floor(max / 2);
    let cut = window.lastIndexOf('\n\n');
    if (cut < floor) cut = lastSentenceEnd(window);
    if (cut < floor) cut = window.lastIndexOf('\n');
    if (cut < floor) cut = window.lastIndexOf(' ');
    if (cut < floor) cut = /[\ud800-\udbff]/.test(window[max - 1]) ? max - 1 : max;
    const head = rest.slice(0, cut).trimEnd();
    if (head) parts.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest || !parts.length) parts.push(rest);
  return parts;
}

/** Index just after the last ". ", "! " or "? " (the punctuation stays with its sentence). */
function lastSentenceEnd(s: string): number {
  let best = -1;
  for (const m of s.matchAll(/[.!?…][)"'»]*\s/g)) best = m.index! + m[0].length - 1;
  return best;
}
