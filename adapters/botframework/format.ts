// Text for Bot Framework channels, sent as textFormat "markdown". Core composes plain text, and what a client or a
// manager typed is not markup: every character Teams or Web Chat would read as formatting is backslash-escaped
// (CommonMark escapes, which both honour), web links become explicit links, and the author of a manager's message
// is a bold first line.
//
// Line breaks differ: Web Chat (micromark) joins a single newline into the line before it, so lines end in a hard
// break ("two spaces, newline"); Teams is only dependable with a blank line between lines, so each line is its own
// paragraph there.
//
// Limits: Teams caps a chat message at about 28 KB (Teams "Limits and specifications"; the bot API refuses a whole
// activity over 40 KB counted in UTF-16, 100 KB in the newest docs). MAX_RENDERED keeps the rendered text within
// 28 KB even counted as UTF-16 (2 bytes a code unit); MAX_TEXT, what core splits at, leaves room for the author line
// and the escapes of ordinary text. Text that escaping more than doubles is split again by send.ts.

export const MAX_RENDERED = 14_000;
export const MAX_TEXT = 12_000;

export type Flavor = 'teams' | 'webchat';
export const flavorOf = (channelId: string): Flavor => (channelId === 'msteams' ? 'teams' : 'webchat');

// Inline markup in Teams and Web Chat (GFM + math): emphasis, code, strikethrough, links and images, raw HTML,
// entities, tables, math. `\` first so the escapes added are not escaped again.
const INLINE = /[\\`*_~[\]<>&|$]/g;
// Block markup at the start of a line: headings, quotes, list items, setext underlines, numbered lists.
const LINE_START = /^(\s*)([#>+=-])/;
const NUMBERED = /^(\s*\d+)([.)])/;
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]]/gi;

export const escapeInline = (s: string) => s.replace(INLINE, '\\$&');

function line(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    out += escapeInline(text.slice(last, m.index));
    // An explicit link: its text is escaped like any text, its target can't break out of the parentheses.
    out += `[${escapeInline(m[0])}](${m[0].replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'))})`;
    last = m.index + m[0].length;
  }
  out += escapeInline(text.slice(last));
  return out.replace(LINE_START, '$1\\$2').replace(NUMBERED, '$1\\$2');
}

export function renderText(text: string, flavor: Flavor): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map(line);
  if (flavor === 'teams') return lines.join('\n\n');
  // A blank line stays a paragraph break; any other line break is a hard break.
  return lines.reduce((acc, l, i) => (i === 0 ? l : acc + (l && lines[i - 1] ? '  \n' : '\n') + l), '');
}

/** A manager's message shows who wrote it, as a bold first line. */
export function renderMessage(text: string, author: string | null | undefined, flavor: Flavor): string {
  const body = renderText(text, flavor);
  if (!author?.trim()) return body;
  const name = `**${escapeInline(author.trim().replace(/\s+/g, ' '))}**`;
  return `${name}${flavor === 'teams' ? '\n\n' : '  \n'}${body}`;
}
