// The new text of a reply: quoted history and signature stripped (email-reply-parser), for triage and for the
// manager's thread. The parser knows "On … wrote:" in many languages and Outlook's English "From: … <addr>" block,
// but not what Russian Outlook, Yandex and Mail.ru write ("От: …" / "Отправлено: …", "… написал(а):"): those are cut
// here first. When stripping would leave nothing, the whole text is kept: a client's words are never dropped.
import EmailReplyParser from 'email-reply-parser';

// A reply-header block: a "From" line followed within a few lines by its "Sent"/"Date" line.
const FROM_LINE = /^\s*\*?\s*(От|From|Von|De)\s*\*?\s*:/i;
const SENT_LINE = /^\s*\*?\s*(Отправлено|Дата|Sent|Date|Gesendet|Envoyé)\s*\*?\s*:/i;
const CUT_LINES = [
  /^\s*-{2,}\s*(Original Message|Исходное сообщение|Пересылаемое сообщение|Forwarded message)\s*-{2,}\s*$/i,
  // "3 марта 2026 г., в 14:05, Мария <support@…> написал(а):", "03.03.2026, 14:05, "Maria" <…>:" (Yandex)
  /^.{0,300}(написал\(а\)|написала|написал|пишет)\s*:\s*$/i,
  /^\s*\d{1,2}\.\d{1,2}\.\d{4},?\s+\d{1,2}:\d{2},?\s+.{0,200}<[^>]+@[^>]+>\s*:\s*$/,
];
const SEPARATOR = /^\s*(_{5,}|-{5,})\s*$/;
// Sign-offs the parser doesn't know; what follows one at the very end (a name, a title, a company) is the signature.
const SIGN_OFF = /^\s*(с уважением|с наилучшими пожеланиями|всего доброго|всего наилучшего|best regards|kind regards|warm regards)\s*[,.!]?\s*$/i;
const SIGNATURE_LINES = 5;

function cutQuoteHeaders(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = FROM_LINE.test(lines[i]) && lines.slice(i + 1, i + 5).some((l) => SENT_LINE.test(l));
    if (header || CUT_LINES.some((r) => r.test(lines[i]))) {
      let cut = i;
      while (cut > 0 && (SEPARATOR.test(lines[cut - 1]) || !lines[cut - 1].trim())) cut--;
      return lines.slice(0, cut).join('\n');
    }
  }
  return text;
}

function cutSignOff(text: string): string {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i > 0 && i >= lines.length - 1 - SIGNATURE_LINES; i--)
    if (SIGN_OFF.test(lines[i])) return lines.slice(0, i).join('\n');
  return text;
}

/** Line endings, trailing blanks and runs of empty lines evened out; NUL and lone surrogates (unstorable) removed. */
export function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/\u00a0/g, ' ')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// email-reply-parser's patterns run on V8's backtracking engine here (the linear-time re2 it can use is a native module
// we don't install), and several are polynomial: in a line's length ("On … wrote:", the Italian sign-off, "… from …
// <…>:") and, for those that span lines, in the text's. One hostile mail — a megabyte on a single line — would hold
// the process for hours. So the parser only ever sees bounded input: lines longer than any reply header or sign-off
// stand in as short placeholders (put back afterwards), and a long text is parsed by its first part. Quoted history
// that begins past that part stays in the text; the full mail is behind its link either way.
const PARSER_MAX_LINE = 400;
const PARSER_MAX_TEXT = 16 * 1024;
// tidy() removes NUL from the text, so a placeholder made of it can't collide with anything the client wrote.
const PLACEHOLDER = /\u0000(\d+)\u0000/g;

function parserVisible(text: string): string {
  const cut = text.length > PARSER_MAX_TEXT ? Math.max(text.lastIndexOf('\n', PARSER_MAX_TEXT), 0) || PARSER_MAX_TEXT : text.length;
  const head = text.slice(0, cut);
  const long: string[] = [];
  const bounded = head.split('\n').map((line) => (line.length > PARSER_MAX_LINE ? `\u0000${long.push(line) - 1}\u0000` : line)).join('\n');
  const visible = new EmailReplyParser().read(bounded).getVisibleText().replace(PLACEHOLDER, (_m, i: string) => long[Number(i)]);
  if (cut === text.length) return visible;
  // Only the head was read: when it had nothing to strip, the rest is new text too.
  return tidy(visible) === tidy(head) ? text : visible;
}

export function stripReply(full: string): string {
  const text = tidy(full);
  if (!text) return '';
  const visible = tidy(cutSignOff(tidy(parserVisible(cutQuoteHeaders(text)))));
  return visible || text;
}
