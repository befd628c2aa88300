// The urgency classifier (SPEC §2): the messages clients really write, negations, feature requests worded around
// alarm words, and the bounds that keep a vendor's keyword list from stalling intake.
import type { Urgency } from '../../src/core/model';
import { classify, DEFAULT_TRIAGE, triage, TRIAGE_BOUNDS, type TriageRules, validateTriageRules } from '../../src/core/triage';

describe('triage (SPEC §2)', () => {
  it("the client's explicit urgency beats the classifier", () => {
    const r = triage('Our dashboard is down, nothing works', 'low', DEFAULT_TRIAGE);
    expect(r).toEqual({ urgency: 'low', source: 'client', reason: 'chosen by the client' });
    expect(triage('feature request: dark mode', 'critical', DEFAULT_TRIAGE).urgency).toBe('critical');
  });

  it.each([
    ['The tracker is down since this morning', 'down'],
    ['Pixel NOT TRACKING on the landing page', 'not tracking'],
    ['Since the release all conversions lost!', 'all conversions lost'],
    ['Down.', 'down'],
    ['server down', 'down'],
  ])('critical keywords: %p', (text, phrase) => {
    const r = triage(text, undefined, DEFAULT_TRIAGE);
    expect(r.urgency).toBe('critical');
    expect(r.source).toBe('classifier');
    expect(r.reason).toContain(phrase);
  });

  it.each([
    'Feature request: export to XLSX',
    'It would be nice to have a dark mode',
    'it   would be   nice if the report had totals',
  ])('feature keywords: %p', (text) => {
    const r = triage(text, undefined, DEFAULT_TRIAGE);
    expect(r.urgency).toBe('feature');
    expect(r.source).toBe('classifier');
  });

  it('phrases match on word boundaries only', () => {
    expect(classify('The download button is grey', DEFAULT_TRIAGE)).toBeNull();
    expect(classify('Please send the breakdown by country', DEFAULT_TRIAGE)).toBeNull();
    expect(classify('We had a countdown widget', DEFAULT_TRIAGE)).toBeNull();
    expect(triage('How do I download the invoice?', undefined, DEFAULT_TRIAGE)).toEqual({
      urgency: 'medium', source: 'default', reason: 'no urgency given or recognised',
    });
    // a word next to punctuation still counts
    expect(classify('(down) since 9am', DEFAULT_TRIAGE)?.urgency).toBe('critical');
  });

  it('the most urgent matching level wins', () => {
    expect(triage('Feature request, but first: the site is down', undefined, DEFAULT_TRIAGE).urgency).toBe('critical');
    expect(triage('The download fails with an error', undefined, DEFAULT_TRIAGE).urgency).toBe('high');
  });

  it('default is medium with a reason', () => {
    const r = triage('Hello, a question about invoices', undefined, DEFAULT_TRIAGE);
    expect(r).toEqual({ urgency: 'medium', source: 'default', reason: 'no urgency given or recognised' });
  });

  it('custom vendor rules are used, escaped and whitespace-tolerant', () => {
    const rules: TriageRules = { critical: ['checkout broken'], high: ['c++ crash'], low: ['typo'] };
    expect(triage('Our CHECKOUT   broken again', undefined, rules)).toEqual({
      urgency: 'critical', source: 'classifier', reason: 'keyword "checkout broken"',
    });
    expect(triage('SDK c++ crash on start', undefined, rules).urgency).toBe('high');
    expect(triage('c+ crash', undefined, rules).urgency).toBe('medium'); // '+' is literal, not a quantifier
    expect(triage('There is a typo on the pricing page', undefined, rules)).toMatchObject({ urgency: 'low', reason: 'keyword "typo"' });
    expect(triage('typos everywhere', undefined, rules).urgency).toBe('medium');
  });
});

// What each message must get with the default rules; a wrong row costs either a needless page at night or a
// real outage answered in five business hours.
const TABLE: [string, Urgency][] = [
  // critical
  ['Tracking is down, all conversions lost!', 'critical'],
  ['URGENT!!! Checkout is DOWN for all our users', 'critical'],
  ['Our landing pages stopped tracking after your release last night', 'critical'],
  ['We cannot log in to the dashboard since 9:00', 'critical'],
  ['Nothing is working since your update', 'critical'],
  ['We can’t log in, please help', 'critical'],
  ['Is the API down? All our requests time out', 'critical'],
  ['Not sure if it’s down or just slow for us', 'critical'],
  ['The pixel is not tracking anything on the thank-you page', 'critical'],
  ['It never went down before, but today the tracker is down twice', 'critical'],
  ['Feature request for later. Right now the whole site is down!', 'critical'],
  ['Would be great if you could look now, the site is down and all conversions lost', 'critical'],
  // high
  ['Hi, the dashboard shows wrong numbers for yesterday', 'high'],
  ['The CSV export is broken again', 'high'],
  ['Postbacks keep failing with a 502 error', 'high'],
  ['No, it is still not working', 'high'],
  ['The export doesn’t work in Safari', 'high'],
  ['There is a discrepancy between your report and our CRM', 'high'],
  ['It would be nice to have dark mode. Also, the invoice page is broken.', 'high'],
  ['Nothing is down, but the export shows an error', 'high'],
  // medium: nothing recognised
  ['Hello, a question about invoices', 'medium'],
  ['How do I download the invoice for March?', 'medium'],
  ['Can you send me the breakdown by country?', 'medium'],
  ['Is there a way to change the report time zone?', 'medium'],
  ['There is no outage, we just want to understand the numbers', 'medium'],
  ['Nothing is broken, just a quick question about the API limits', 'medium'],
  ['I don’t think it’s an outage, the graphs look a bit flat though', 'medium'],
  ['Without any errors in the log, how can we debug the postbacks?', 'medium'],
  ['Our drop-down menu shows the old logo', 'medium'],
  // low
  ['Not urgent: there is a typo on the pricing page', 'low'],
  ['This isn’t urgent, but could you check the footer links?', 'low'],
  ['No rush, when you have a minute please check the logo', 'low'],
  ['low priority - rename our account to Acme Group', 'low'],
  // informational
  ['FYI we are migrating our site to a new domain on Friday', 'informational'],
  ['Just letting you know our team will be offline tomorrow', 'informational'],
  // feature, including requests that name an alarm they want handled
  ['This is not urgent at all: could you add a drop-down filter to the report?', 'feature'],
  ['Feature request: export to XLSX', 'feature'],
  ['It would be nice to have a dark mode', 'feature'],
  ['Could you add an alert when tracking is down?', 'feature'],
  ['Please add an "urgent" flag to our tickets', 'feature'],
  ['It would be great if the report highlighted broken links', 'feature'],
  ['Would be great if error rates were shown per campaign', 'feature'],
  ['I wish the dashboard remembered my filters', 'feature'],
  ['Not a bug, more of a wish list item: could you add SSO?', 'feature'],
  ['non-urgent feature request: a weekly digest email', 'feature'],
  ['FEATURE REQUEST!!! Can you add a copy button next to the link?', 'feature'],
];

describe('the classifier on real client messages', () => {
  it('the table covers every urgency with at least 40 messages', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
    expect(new Set(TABLE.map(([, u]) => u))).toEqual(new Set(['critical', 'high', 'medium', 'low', 'informational', 'feature']));
  });

  it.each(TABLE)('%p → %s', (text, urgency) => {
    expect(triage(text, undefined, DEFAULT_TRIAGE).urgency).toBe(urgency);
  });

  it('a negated phrase is neither counted nor given as the reason', () => {
    expect(triage('This is not urgent at all: could you add a drop-down filter to the report?', undefined, DEFAULT_TRIAGE)).toEqual({
      urgency: 'feature', source: 'classifier', reason: 'keyword "could you add"',
    });
    expect(classify('There was no outage today', DEFAULT_TRIAGE)).toBeNull();
    expect(classify("the graphs aren't down", DEFAULT_TRIAGE)).toBeNull();
    // a negation stays in its own clause
    expect(classify('No. Down again since 9:00', DEFAULT_TRIAGE)).toMatchObject({ urgency: 'critical', reason: 'keyword "down"' });
    expect(classify("We don't know why, the site is down", DEFAULT_TRIAGE)?.urgency).toBe('critical');
  });

  it('the timeline says when a feature request outweighed an alarm word', () => {
    expect(classify('Could you add an alert when tracking is down?', DEFAULT_TRIAGE)).toEqual({
      urgency: 'feature', source: 'classifier', reason: 'keyword "could you add" outweighs "down" in the same sentence',
    });
    expect(classify('Could you add SSO? Since this morning nothing works.', DEFAULT_TRIAGE)).toMatchObject({
      urgency: 'critical', reason: 'keyword "nothing works"',
    });
    expect(classify('Please add a status page, the site is down and data loss is likely', DEFAULT_TRIAGE)).toEqual({
      urgency: 'critical', source: 'classifier', reason: 'keywords "down", "data loss"',
    });
  });

  it("the client's explicit choice still beats the classifier", () => {
    expect(triage('This is not urgent at all: could you add a filter?', 'critical', DEFAULT_TRIAGE)).toEqual({
      urgency: 'critical', source: 'client', reason: 'chosen by the client',
    });
  });
});

describe('vendor rules: bounds and compiling once', () => {
  const phrase = (i: number) => `custom phrase number ${i} `.padEnd(TRIAGE_BOUNDS.phraseLength, 'x');
  /** The largest list PUT /settings/triage accepts. */
  const largest = (): TriageRules => {
    const list = Array.from({ length: TRIAGE_BOUNDS.total }, (_, i) => phrase(i));
    return {
      critical: ['checkout broken', ...list.slice(1, TRIAGE_BOUNDS.perUrgency)],
      high: list.slice(TRIAGE_BOUNDS.perUrgency, 2 * TRIAGE_BOUNDS.perUrgency),
      feature: list.slice(2 * TRIAGE_BOUNDS.perUrgency),
    };
  };

  it('the largest allowed list is valid; one phrase more, or a longer phrase, names the bound', () => {
    const rules = largest();
    expect(validateTriageRules(rules)).toEqual([]);
    expect(validateTriageRules({ ...rules, critical: [...rules.critical!, 'one more'] })).toEqual([
      `critical has ${TRIAGE_BOUNDS.perUrgency + 1} phrases, at most ${TRIAGE_BOUNDS.perUrgency} per urgency are allowed`,
      `${TRIAGE_BOUNDS.total + 1} phrases in all, at most ${TRIAGE_BOUNDS.total} in total are allowed`,
    ]);
    expect(validateTriageRules({ low: ['typo', 'x'.repeat(TRIAGE_BOUNDS.phraseLength + 1)] })).toEqual([
      `low[1] is longer than ${TRIAGE_BOUNDS.phraseLength} characters, the most a phrase may have`,
    ]);
    expect(validateTriageRules({ low: ['  ' + 'x'.repeat(TRIAGE_BOUNDS.phraseLength) + '  '] })).toEqual([]);
  });

  it('the largest list, arriving as a fresh object with every message, is compiled once, not per message', () => {
    const json = JSON.stringify(largest());
    const text = 'Hi team, our checkout broken since the deploy, custom phrase number 7 maybe? '.repeat(4);
    expect(classify(text, JSON.parse(json))).toMatchObject({ urgency: 'critical', reason: 'keyword "checkout broken"' });
    // Counted rather than timed (timing flakes on a busy machine): ~0.06 ms a message now, ~3-9 ms when every
    // message recompiled 500 regexps, ~12 s with 40,000 phrases.
    const compiles = jest.spyOn(globalThis, 'RegExp');
    try {
      for (let i = 0; i < 50; i++) expect(classify(text, JSON.parse(json))?.urgency).toBe('critical'); // as the store hands them over
      expect(compiles).not.toHaveBeenCalled();
    } finally {
      compiles.mockRestore();
    }
  });

  it('a changed list takes effect at once, even when the same object is edited', () => {
    const rules: TriageRules = { high: ['slow report'] };
    expect(classify('The slow report again', rules)?.urgency).toBe('high');
    rules.high = ['typo'];
    expect(classify('The slow report again', rules)).toBeNull();
  });

  it('a list stored before the bounds existed is used up to the bounds instead of stalling intake', () => {
    const stored: TriageRules = { critical: Array.from({ length: 40_000 }, (_, i) => `legacy keyword ${i}`) };
    expect(classify('We see legacy keyword 5 in the logs', stored)?.reason).toBe('keyword "legacy keyword 5"');
    expect(classify('We see legacy keyword 30000 in the logs', stored)).toBeNull();
  });
});
