// What a client reads in Teams or Web Chat is what core composed: nothing a client or a manager typed turns into
// formatting, line breaks survive each channel's renderer, links stay clickable, and the author is a bold first line.
import fc from 'fast-check';
import { decodeMarkdown } from './harness';
import { MAX_RENDERED, MAX_TEXT, renderMessage, renderText, type Flavor } from './format';

test('markup characters are escaped, so text reads as typed', () => {
  expect(renderText('Use *bold* or _this_ and `code` <b>x</b> & a|b $x$ ~~no~~ [link](y)', 'webchat')).toBe(
    'Use \\*bold\\* or \\_this\\_ and \\`code\\` \\<b\\>x\\</b\\> \\& a\\|b \\$x\\$ \\~\\~no\\~\\~ \\[link\\](y)',
  );
  // Block markup only means something at the start of a line.
  expect(renderText('# not a heading\n> not a quote\n- not a list\n1. not numbered\nprice: 5 - 3 #1', 'webchat')).toBe(
    '\\# not a heading  \n\\> not a quote  \n\\- not a list  \n1\\. not numbered  \nprice: 5 - 3 #1',
  );
});

test('web links become explicit links whose text is the address, with nothing that breaks out of them', () => {
  expect(renderText('See https://status.example.com/a_b?x=1&y=(2)z. Thanks', 'teams')).toBe(
    'See [https://status.example.com/a\\_b?x=1\\&y=(2)z](https://status.example.com/a_b?x=1&y=%282%29z). Thanks',
  );
  // Punctuation after a link, and the parenthesis around one, are not part of it.
  expect(renderText('(see https://x.test/a)', 'webchat')).toBe('(see [https://x.test/a](https://x.test/a))');
});

test('line breaks: a paragraph per line in Teams, hard breaks in Web Chat, blank lines kept', () => {
  expect(renderText('one\ntwo\n\nthree', 'teams')).toBe('one\n\ntwo\n\n\n\nthree');
  expect(renderText('one\ntwo\n\nthree', 'webchat')).toBe('one  \ntwo\n\nthree');
});

test("the author's name is a bold first line, escaped like any text", () => {
  expect(renderMessage('Fixed.', 'Maria *Petrova*', 'teams')).toBe('**Maria \\*Petrova\\***\n\nFixed.');
  expect(renderMessage('Fixed.', 'Maria Petrova', 'webchat')).toBe('**Maria Petrova**  \nFixed.');
  expect(renderMessage('Fixed.', null, 'webchat')).toBe('Fixed.');
});

// Everything a client or manager might type: markup characters, digits and dots at line starts, links, spaces, newlines.
const TOKENS = ['a', 'Z', ' ', '  ', '\n', '\n\n', '1', '2.', ')', '#', '>', '-', '+', '=', '*', '_', '~', '`', '[', ']', '(', '<', '>', '&', '|', '$', '\\', '!', 'é', '😀', 'https://x.test/a_b*c?d=1&e=(f)', 'http://y.test.', ':'];
const typed = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(''));
// Spaces at the end of a line are invisible either way; Web Chat's hard break is made of them.
const visible = (s: string) => s.replace(/ +$/gm, '');

test.each(['teams', 'webchat'] as Flavor[])('any text survives the round trip through %s markdown, with no stray markup', (flavor) => {
  fc.assert(
    fc.property(typed, fc.option(fc.constantFrom('Maria Petrova', 'Ann_B *x*', '[bot]'), { nil: null }), (text, author) => {
      const decoded = decodeMarkdown(renderMessage(text, author, flavor), flavor);
      expect(decoded.author).toBe(author);
      expect(visible(decoded.text)).toBe(visible(text));
    }),
    { numRuns: 400, seed: 20261130 },
  );
});

test('what core splits at leaves room for the author line and ordinary escapes within the rendered limit', () => {
  const text = `${'All conversions since 09:00 are missing, see the report. '.repeat(300)}`.slice(0, MAX_TEXT);
  expect(renderMessage(text, 'Maria Petrova', 'teams').length).toBeLessThanOrEqual(MAX_RENDERED);
});
