// What the client reads: the manager's text exactly as written (never interpreted as markup), the manager's name on
// top, the urgency choices as buttons, long text cut where a reader expects a break.
import { parseHtml } from '../../test/support/fake-telegram';
import { composeFor } from '../../src/core/outbound';
import { escapeHtml, render, splitText, TELEGRAM_MAX_TEXT } from './format';
import { TELEGRAM_CAPABILITIES } from './index';

const visible = (html: string) => {
  const p = parseHtml(html);
  if ('error' in p) throw new Error(p.error);
  return p.text;
};

test('manager text with <, > and & reads back exactly, and parses the way Telegram parses HTML', () => {
  const text = 'Use <script> & "quotes" in a->b && x < 3; AT&T; &amp; stays literal';
  const { parts } = render({ kind: 'reply', text, author: { name: 'Maria <Ops> & Co' } });
  expect(parts).toHaveLength(1);
  expect(visible(parts[0])).toBe(`Maria <Ops> & Co\n${text}`);
  expect(parts[0].startsWith('<b>Maria &lt;Ops&gt; &amp; Co</b>\n')).toBe(true);
  expect(escapeHtml('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
});

test('choices become one button per row carrying the command; without an author there is no name line', () => {
  const r = render({ kind: 'ack', text: 'We received your request.', choices: [{ label: 'Set urgency: high', value: '/urgency high' }, { label: 'Set urgency: low', value: '/urgency low' }] });
  expect(r.parts).toEqual(['We received your request.']);
  expect(r.keyboard).toEqual({ inline_keyboard: [[{ text: 'Set urgency: high', callback_data: '/urgency high' }], [{ text: 'Set urgency: low', callback_data: '/urgency low' }]] });
});

test('a choice whose command is longer than callback data allows is offered as text to send', () => {
  const long = `/feature ${'x'.repeat(80)}`;
  const r = render({ kind: 'notice', text: 'Pick one', choices: [{ label: 'Long', value: long }] });
  expect(r.keyboard).toBeUndefined();
  expect(visible(r.parts[0])).toBe(`Pick one\nLong — send ${long}`);
});

test('a later part of a split message goes without the name line', () => {
  expect(render({ kind: 'reply', text: 'rest of it', author: { name: 'Maria' } }, { continuation: true }).parts).toEqual(['rest of it']);
});

test('a long reply composed by core arrives in parts that each fit, name line included, with nothing lost', () => {
  const para = (n: number) => `Paragraph ${n}. ${'Lorem ipsum dolor sit amet & more. '.repeat(30)}`.trim();
  const text = Array.from({ length: 10 }, (_, i) => para(i)).join('\n\n');
  expect(text.length).toBeGreaterThan(TELEGRAM_MAX_TEXT * 2);
  const composed = composeFor({ kind: 'reply', text, author: { name: 'A'.repeat(200) } }, TELEGRAM_CAPABILITIES);
  const sent = composed.flatMap((m, i) => render(m, { continuation: i > 0 }).parts.map(visible));
  for (const s of sent) expect(s.length).toBeLessThanOrEqual(TELEGRAM_MAX_TEXT);
  // Cut at paragraph breaks: every part ends a paragraph.
  for (const s of sent) expect(s.endsWith('more.')).toBe(true);
  const body = sent.map((s, i) => (i === 0 ? s.slice(s.indexOf('\n') + 1) : s)).join('\n\n');
  expect(body).toBe(text);
});

test('text with no paragraph breaks is cut after a sentence, never inside a word or a surrogate pair', () => {
  const text = 'Short one. ' + 'word '.repeat(12) + 'End of sentence two. ' + 'more words without an end '.repeat(4);
  const parts = splitText(text, 120);
  expect(parts[0]).toMatch(/sentence two\.$/);
  expect(parts.join(' ')).toBe(text);
  const emoji = '😀'.repeat(100);
  for (const p of splitText(emoji, 51)) expect(p).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
});
