// Pure core rules: reading times, channel fallbacks and client commands (SPEC §6), routing
// (SPEC §4) and the compliance report (SPEC §7). Time is always injected.
import { fromSlackMarkup } from '../../src/console/slack/app';
import { DateTime } from 'luxon';
import { checkCallSlot, earliestCallSlot, parseClientCommand } from '../../src/core/client-actions';
import type { CalendarSpec } from '../../src/core/model';
import { composeFor, splitText } from '../../src/core/outbound';
import type { ChannelCapabilities, OutboundMessage } from '../../src/core/ports';
import type { ClientRow, ManagerRow } from '../../src/core/records';
import { complianceCsv, complianceReport, type ReportClock } from '../../src/core/report';
import { route } from '../../src/core/routing';
import { DEFAULT_CALENDAR } from '../../src/core/sla/calendar';
import { parseDuration, parseWhen } from '../../src/core/when';

const MSK = 'Europe/Moscow';
const d = (iso: string): Date => {
  const dt = DateTime.fromISO(iso, { setZone: true });
  if (!dt.isValid) throw new Error(`bad test instant ${iso}`);
  return dt.toJSDate();
};
const msk = (wall: string): Date => d(`${wall}+03:00`);
const wall = (at: Date | null, zone: string): string | null =>
  at ? DateTime.fromJSDate(at, { zone }).toFormat("ccc yyyy-MM-dd'T'HH:mm") : null;

// Fixed dates (June 2024): Fri 7, Sat 8, Mon 10, Tue 11, Wed 12, Fri 14, Sat 15, Mon 17.

describe('parseDuration / parseWhen', () => {
  const now = msk('2024-06-10T11:00:00'); // Monday

  it('durations', () => {
    expect(parseDuration('2h')).toBe(2 * 3600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('1d 4h')).toBe(28 * 3600_000);
    expect(parseDuration('0h')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
  });

  it('"2h", "90m", "1d 4h", "in 2h" are added to now', () => {
    expect(parseWhen('2h', now, MSK)?.toISOString()).toBe('2024-06-10T10:00:00.000Z');
    expect(parseWhen('90m', now, MSK)?.toISOString()).toBe('2024-06-10T09:30:00.000Z');
    expect(parseWhen('1d 4h', now, MSK)?.toISOString()).toBe('2024-06-11T12:00:00.000Z');
    expect(parseWhen('in 2h', now, MSK)?.toISOString()).toBe('2024-06-10T10:00:00.000Z');
  });

  it('"tomorrow 15:00" is read in the given zone', () => {
    expect(wall(parseWhen('tomorrow 15:00', now, MSK), MSK)).toBe('Tue 2024-06-11T15:00');
    expect(parseWhen('tomorrow 15:00', now, MSK)?.toISOString()).toBe('2024-06-11T12:00:00.000Z');
    // Tuesday 01:30 in Moscow is still Monday in UTC: "tomorrow" is Moscow's tomorrow
    expect(wall(parseWhen('tomorrow 15:00', d('2024-06-10T22:30:00Z'), MSK), MSK)).toBe('Wed 2024-06-12T15:00');
    // Monday 22:00 in New York is already Tuesday in UTC
    const ny = parseWhen('tomorrow 15:00', d('2024-06-11T02:00:00Z'), 'America/New_York');
    expect(wall(ny, 'America/New_York')).toBe('Tue 2024-06-11T15:00');
    expect(ny?.toISOString()).toBe('2024-06-11T19:00:00.000Z');
  });

  it('"tomorrow 15:00" across a DST change keeps the wall time', () => {
    // Saturday 9 March 2024 15:00 EST; clocks go forward on Sunday 10 March
    const r = parseWhen('tomorrow 15:00', d('2024-03-09T20:00:00Z'), 'America/New_York');
    expect(wall(r, 'America/New_York')).toBe('Sun 2024-03-10T15:00');
    expect(r?.toISOString()).toBe('2024-03-10T19:00:00.000Z');
  });

  it('"fri 12:00" is the coming Friday in the given zone', () => {
    expect(wall(parseWhen('fri 12:00', now, MSK), MSK)).toBe('Fri 2024-06-14T12:00');
    // Friday 01:00 Moscow (Thursday in UTC): this Friday
    expect(wall(parseWhen('fri 12:00', d('2024-06-13T22:00:00Z'), MSK), MSK)).toBe('Fri 2024-06-14T12:00');
    // Friday 13:00 Moscow: the next one
    expect(wall(parseWhen('fri 12:00', msk('2024-06-14T13:00:00'), MSK), MSK)).toBe('Fri 2024-06-21T12:00');
  });

  it('a bare time is the next such time after now, by the injected clock', () => {
    expect(wall(parseWhen('15:00', now, MSK), MSK)).toBe('Mon 2024-06-10T15:00');
    expect(wall(parseWhen('15:00', msk('2024-06-10T17:00:00'), MSK), MSK)).toBe('Tue 2024-06-11T15:00');
  });

  it('ISO 8601 with an offset is taken as written; without one, in the zone', () => {
    expect(parseWhen('2024-06-12T15:00:00+05:00', now, MSK)?.toISOString()).toBe('2024-06-12T10:00:00.000Z');
    expect(parseWhen('2024-06-12T15:00:00Z', now, MSK)?.toISOString()).toBe('2024-06-12T15:00:00.000Z');
    expect(parseWhen('2024-06-12T15:00', now, MSK)?.toISOString()).toBe('2024-06-12T12:00:00.000Z');
  });

  it('garbage, empty input and dates without a time -> null', () => {
    expect(parseWhen('garbage', now, MSK)).toBeNull();
    expect(parseWhen('', now, MSK)).toBeNull();
    expect(parseWhen('   ', now, MSK)).toBeNull();
    expect(parseWhen('tomorrow 15:00 or maybe later, we will see', now, MSK)).toBeNull();
    expect(parseWhen('tomorrow', now, MSK)).toBeNull();
    expect(parseWhen('friday', now, MSK)).toBeNull();
    expect(parseWhen('2024-06-12', now, MSK)).toBeNull();
  });
});

describe('composeFor: capability fallbacks (SPEC §6)', () => {
  const full: ChannelCapabilities = {
    buttons: true, threads: true, attachments: true, maxTextLength: 4096, markup: 'markdown', proactive: true, echoesOwnSends: false,
  };
  const bare: ChannelCapabilities = { ...full, buttons: false, attachments: false };
  const choices = [
    { label: 'Critical', value: '/urgency critical' },
    { label: 'High', value: '/urgency high' },
    { label: 'Medium', value: '/urgency medium' },
  ];
  const attachments = [
    { name: 'report.pdf', url: 'https://files.example.com/report.pdf', mimeType: 'application/pdf', size: 1000 },
    { name: 'log.txt', url: 'https://files.example.com/log.txt' },
  ];

  it('keeps buttons and attachments where the platform has them', () => {
    const msg: OutboundMessage = { kind: 'ack', text: 'How urgent is it?', choices, attachments };
    expect(composeFor(msg, full)).toEqual([msg]);
  });

  it('choices become numbered text when the platform has no buttons', () => {
    const out = composeFor({ kind: 'ack', text: 'How urgent is it?', choices }, bare);
    expect(out).toHaveLength(1);
    expect(out[0].choices).toBeUndefined();
    expect(out[0].text).toBe('How urgent is it?\n1. Critical — send /urgency critical\n2. High — send /urgency high\n3. Medium — send /urgency medium');
  });

  it('attachments become links when the platform cannot attach files', () => {
    const out = composeFor({ kind: 'reply', text: 'Here are the files', attachments, author: { name: 'Anna' } }, bare);
    expect(out).toHaveLength(1);
    expect(out[0].attachments).toBeUndefined();
    expect(out[0].author).toEqual({ name: 'Anna' });
    expect(out[0].text).toBe('Here are the files\nreport.pdf: https://files.example.com/report.pdf\nlog.txt: https://files.example.com/log.txt');
  });

  it('long text is split at the limit, every part within it, nothing lost', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const text = words.join(' ');
    const caps = { ...full, maxTextLength: 100 };
    const out = composeFor({ kind: 'reply', text, choices, attachments }, caps);
    expect(out.length).toBeGreaterThan(1);
    for (const p of out) {
      expect(p.text.length).toBeLessThanOrEqual(100);
      expect(p.text.length).toBeGreaterThan(0);
    }
    // cut at spaces: joining with a space gives back the original exactly
    expect(out.map((p) => p.text).join(' ')).toBe(text);
    // choices and attachments ride on the last part only
    expect(out.slice(0, -1).every((p) => p.choices === undefined && p.attachments === undefined)).toBe(true);
    expect(out[out.length - 1].choices).toEqual(choices);
    expect(out[out.length - 1].attachments).toEqual(attachments);
  });

  it('prefers line breaks, and hard-cuts text with no whitespace', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `Line ${i}: ${'x'.repeat(20)}`);
    const text = lines.join('\n');
    const parts = splitText(text, 80);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(80);
    expect(parts.join('\n')).toBe(text);
    expect(parts.every((p) => !p.startsWith('\n') && !p.endsWith('\n'))).toBe(true);

    const blob = 'abcdefghij'.repeat(35);
    const cut = splitText(blob, 100);
    expect(cut.map((p) => p.length)).toEqual([100, 100, 100, 50]);
    expect(cut.join('')).toBe(blob);
  });

  it('numbered choices count toward the limit and survive the split', () => {
    const text = 'a '.repeat(60).trim();
    const out = composeFor({ kind: 'ack', text, choices }, { ...bare, maxTextLength: 80 });
    const joined = out.map((p) => p.text).join(' ');
    for (const p of out) expect(p.text.length).toBeLessThanOrEqual(80);
    expect(joined.replace(/\s+/g, '')).toBe(`${text}\n1. Critical — send /urgency critical\n2. High — send /urgency high\n3. Medium — send /urgency medium`.replace(/\s+/g, ''));
  });
});

describe('parseClientCommand', () => {
  it('recognises the client commands', () => {
    expect(parseClientCommand('/status')).toEqual({ name: 'status', arg: '' });
    expect(parseClientCommand('/urgency high')).toEqual({ name: 'urgency', arg: 'high' });
    expect(parseClientCommand('/call tomorrow 15:00')).toEqual({ name: 'call', arg: 'tomorrow 15:00' });
    expect(parseClientCommand('/feature dark mode please')).toEqual({ name: 'feature', arg: 'dark mode please' });
    expect(parseClientCommand('/help')).toEqual({ name: 'help', arg: '' });
  });

  it('is case-insensitive, trims, and accepts a Telegram bot suffix', () => {
    expect(parseClientCommand('  /STATUS  ')).toEqual({ name: 'status', arg: '' });
    expect(parseClientCommand('/urgency@SwitchboardBot critical')).toEqual({ name: 'urgency', arg: 'critical' });
    expect(parseClientCommand('/feature line one\nline two')).toEqual({ name: 'feature', arg: 'line one\nline two' });
  });

  it('unknown commands and plain text are not commands', () => {
    expect(parseClientCommand('/unknown')).toBeNull();
    expect(parseClientCommand('/statusx')).toBeNull();
    expect(parseClientCommand('please tell me the status')).toBeNull();
    expect(parseClientCommand('the path is /status/ok')).toBeNull();
    expect(parseClientCommand('')).toBeNull();
  });
});

describe('call slots: one working day ahead, inside business hours (SPEC §6)', () => {
  const cal: CalendarSpec = DEFAULT_CALENDAR;

  it('Monday 11:00 asking for Tuesday 10:00 is refused; earliest is Tuesday 11:00', () => {
    const now = msk('2024-06-10T11:00:00');
    const earliest = earliestCallSlot(cal, now);
    expect(earliest.toISOString()).toBe('2024-06-11T08:00:00.000Z');
    expect(wall(earliest, MSK)).toBe('Tue 2024-06-11T11:00');
    const r = checkCallSlot(cal, now, msk('2024-06-11T10:00:00'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.earliest.toISOString()).toBe('2024-06-11T08:00:00.000Z');
    expect(r.why).toMatch(/one working day/);
  });

  it('Monday 11:00 asking for Tuesday 15:00 is accepted; exactly the earliest slot is accepted too', () => {
    const now = msk('2024-06-10T11:00:00');
    expect(checkCallSlot(cal, now, msk('2024-06-11T15:00:00'))).toEqual({ ok: true });
    expect(checkCallSlot(cal, now, msk('2024-06-11T11:00:00'))).toEqual({ ok: true });
  });

  it('a Saturday slot is refused as outside business hours', () => {
    const now = msk('2024-06-10T11:00:00');
    const r = checkCallSlot(cal, now, msk('2024-06-15T12:00:00'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.why).toMatch(/outside business hours/);
    expect(wall(r.earliest, MSK)).toBe('Tue 2024-06-11T11:00');
    // after hours on a weekday, too
    expect(checkCallSlot(cal, now, msk('2024-06-12T20:00:00')).ok).toBe(false);
  });

  it('Friday 17:00 -> earliest is Monday 17:00', () => {
    const now = msk('2024-06-14T17:00:00');
    expect(wall(earliestCallSlot(cal, now), MSK)).toBe('Mon 2024-06-17T17:00');
    expect(checkCallSlot(cal, now, msk('2024-06-17T10:00:00')).ok).toBe(false);
    expect(checkCallSlot(cal, now, msk('2024-06-17T17:00:00'))).toEqual({ ok: true });
  });

  it('a request at the weekend counts from Monday opening', () => {
    // Saturday: one working day from Monday 10:00 ends Monday 19:00, so the first slot is Tuesday 10:00
    expect(wall(earliestCallSlot(cal, msk('2024-06-08T12:00:00')), MSK)).toBe('Tue 2024-06-11T10:00');
  });

  it('the earliest slot offered is rounded up to a quarter hour', () => {
    expect(wall(earliestCallSlot(cal, msk('2024-06-10T11:07:00')), MSK)).toBe('Tue 2024-06-11T11:15');
  });

  it('a slot exactly one working day ahead is accepted, though the slot offered is rounded', () => {
    const now = msk('2024-06-10T11:07:00');
    expect(checkCallSlot(cal, now, msk('2024-06-11T11:07:00'))).toEqual({ ok: true });
    const early = checkCallSlot(cal, now, msk('2024-06-11T11:06:00'));
    expect(early.ok).toBe(false);
    if (!early.ok) expect(wall(early.earliest, MSK)).toBe('Tue 2024-06-11T11:15');
  });
});

describe('route (SPEC §4)', () => {
  const mgr = (id: string, over: Partial<ManagerRow> = {}): ManagerRow => ({
    id, name: id.toUpperCase(), email: `${id}@vendor.example`, slackUserId: `U_${id}`, timeZone: MSK, status: 'active', isDefault: false, onCall: false, ...over,
  });
  const client = (over: Partial<ClientRow> = {}): ClientRow => ({
    id: 'cl-1', name: 'Acme', tier: 'premium', managerId: 'anna', backupManagerId: 'boris', calendarId: null, policyId: null,
    inappAccountId: null, slackChannelId: null, ...over,
  });
  const cal = DEFAULT_CALENDAR;
  const workHours = msk('2024-06-11T12:00:00'); // Tuesday noon
  const night = msk('2024-06-11T23:00:00');

  it('goes to the dedicated manager', () => {
    const r = route(client(), [mgr('anna'), mgr('boris'), mgr('olga', { onCall: true })], 'medium', cal, workHours);
    expect(r.manager?.id).toBe('anna');
    expect(r.coveringFor).toBeNull();
    expect(r.reason).toBe('dedicated manager');
    // a critical case in working hours stays with the dedicated manager too
    expect(route(client(), [mgr('anna'), mgr('boris'), mgr('olga', { onCall: true })], 'critical', cal, workHours).manager?.id).toBe('anna');
  });

  it('away -> the backup manager covers', () => {
    const r = route(client(), [mgr('anna', { status: 'away' }), mgr('boris')], 'medium', cal, workHours);
    expect(r.manager?.id).toBe('boris');
    expect(r.coveringFor?.id).toBe('anna');
    expect(r.coverWhy).toBe('away');
    expect(r.reason).toMatch(/ANNA is away/);
    expect(r.reason).toMatch(/backup manager BORIS covers/);
  });

  it('critical outside the dedicated manager’s working hours -> the on-call manager', () => {
    const managers = [mgr('anna'), mgr('boris'), mgr('olga', { onCall: true })];
    const r = route(client(), managers, 'critical', cal, night);
    expect(r.manager?.id).toBe('olga');
    expect(r.coveringFor?.id).toBe('anna');
    expect(r.coverWhy).toBe('off_hours');
    expect(r.reason).toMatch(/outside working hours/);
    expect(r.reason).toMatch(/on-call/);
    // only critical cases leave the dedicated manager for being off hours
    expect(route(client(), managers, 'high', cal, night)).toMatchObject({ manager: { id: 'anna' }, coveringFor: null });
  });

  it("working hours are the manager's own zone", () => {
    // Tuesday 12:00 Moscow is 19:00 in Vladivostok: Anna there is off hours
    const managers = [mgr('anna', { timeZone: 'Asia/Vladivostok' }), mgr('olga', { onCall: true })];
    expect(route(client({ backupManagerId: null }), managers, 'critical', cal, workHours).manager?.id).toBe('olga');
  });

  it('critical and away with no on-call manager -> the backup', () => {
    const r = route(client(), [mgr('anna', { status: 'away' }), mgr('boris')], 'critical', cal, workHours);
    expect(r.manager?.id).toBe('boris');
    expect(r.coveringFor?.id).toBe('anna');
  });

  it('no backup (or the backup away too) -> stays with the dedicated manager', () => {
    const noBackup = route(client({ backupManagerId: null }), [mgr('anna', { status: 'away' })], 'medium', cal, workHours);
    expect(noBackup.manager?.id).toBe('anna');
    expect(noBackup.coveringFor).toBeNull();
    expect(noBackup.reason).toMatch(/no cover available/);
    const backupAway = route(client(), [mgr('anna', { status: 'away' }), mgr('boris', { status: 'away' })], 'medium', cal, workHours);
    expect(backupAway.manager?.id).toBe('anna');
    expect(backupAway.coveringFor).toBeNull();
  });

  it('no manager at all -> unassigned; the default manager is used before that', () => {
    const none = route(client({ managerId: null, backupManagerId: null }), [mgr('boris')], 'medium', cal, workHours);
    expect(none).toEqual({ manager: null, coveringFor: null, coverWhy: null, reason: 'no manager assigned: unassigned queue' });
    expect(route(client({ managerId: null, backupManagerId: null }), [], 'critical', cal, night).manager).toBeNull();
    const dflt = route(client({ managerId: null, backupManagerId: null }), [mgr('boris'), mgr('dina', { isDefault: true })], 'medium', cal, workHours);
    expect(dflt.manager?.id).toBe('dina');
  });
});

describe('complianceReport / complianceCsv', () => {
  const now = msk('2024-06-11T12:00:00');
  const clock = (over: Partial<ReportClock>): ReportClock => ({
    clientId: 'c1', clientName: 'Acme', managerId: 'm1', managerName: 'Anna', urgency: 'medium', state: 'met', breachedAt: null,
    dueAt: msk('2024-06-11T11:00:00'), ...over,
  });
  const clocks: ReportClock[] = [
    clock({ state: 'met' }),
    clock({ state: 'met', urgency: 'high' }),
    clock({ state: 'breached', urgency: 'high' }),
    clock({ state: 'running', dueAt: msk('2024-06-11T11:30:00') }), // running past due -> breached
    clock({ state: 'running', dueAt: msk('2024-06-11T13:00:00') }), // still running
    clock({ clientId: 'c2', clientName: 'Beta, Inc.', managerId: 'm2', managerName: 'Boris "B" Ivanov', urgency: 'critical', state: 'met' }),
    clock({ clientId: 'c2', clientName: 'Beta, Inc.', managerId: null, managerName: null, urgency: 'critical', state: 'running', breachedAt: msk('2024-06-11T11:15:00'), dueAt: msk('2024-06-11T13:00:00') }),
    clock({ state: 'cancelled' }), // not counted at all
  ];

  it('totals: compliance = met / (met + breached); running past due counts as breached; cancelled is left out', () => {
    const r = complianceReport(clocks, now);
    expect(r.totals).toEqual({ key: 'all', name: 'all', total: 7, met: 3, breached: 3, running: 1, compliance: 0.5 });
  });

  it('groups per client, manager and urgency', () => {
    const r = complianceReport(clocks, now);
    expect(r.byClient).toEqual([
      { key: 'c1', name: 'Acme', total: 5, met: 2, breached: 2, running: 1, compliance: 0.5 },
      { key: 'c2', name: 'Beta, Inc.', total: 2, met: 1, breached: 1, running: 0, compliance: 0.5 },
    ]);
    expect(r.byManager).toEqual([
      { key: 'm1', name: 'Anna', total: 5, met: 2, breached: 2, running: 1, compliance: 0.5 },
      { key: 'm2', name: 'Boris "B" Ivanov', total: 1, met: 1, breached: 0, running: 0, compliance: 1 },
      { key: 'unassigned', name: 'unassigned', total: 1, met: 0, breached: 1, running: 0, compliance: 0 },
    ]);
    expect(Object.fromEntries(r.byUrgency.map((x) => [x.key, [x.met, x.breached, x.running, x.compliance]]))).toEqual({
      critical: [1, 1, 0, 0.5],
      high: [1, 1, 0, 0.5],
      medium: [1, 1, 1, 0.5],
    });
  });

  it('compliance is rounded, and null when nothing is decided', () => {
    const r = complianceReport([clock({ state: 'met' }), clock({ state: 'met' }), clock({ state: 'breached' })], now);
    expect(r.totals.compliance).toBe(0.6667);
    const empty = complianceReport([], now);
    expect(empty.totals).toEqual({ key: 'all', name: 'all', total: 0, met: 0, breached: 0, running: 0, compliance: null });
    expect(empty.byClient).toEqual([]);
    const undecided = complianceReport([clock({ state: 'running', dueAt: msk('2024-06-11T13:00:00') })], now);
    expect(undecided.totals.compliance).toBeNull();
  });

  it('CSV: header, one line per row, quoting of commas and quotes', () => {
    const csv = complianceCsv(complianceReport(clocks, now));
    expect(csv.endsWith('\n')).toBe(true);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('dimension,key,name,total,met,breached,running,compliance');
    expect(lines).toEqual([
      'dimension,key,name,total,met,breached,running,compliance',
      'total,all,all,7,3,3,1,0.5',
      'client,c1,Acme,5,2,2,1,0.5',
      'client,c2,"Beta, Inc.",2,1,1,0,0.5',
      'manager,m1,Anna,5,2,2,1,0.5',
      'manager,m2,"Boris ""B"" Ivanov",1,1,0,0,1',
      'manager,unassigned,unassigned,1,0,1,0,0',
      'urgency,critical,critical,2,1,1,0,0.5',
      'urgency,high,high,2,1,1,0,0.5',
      'urgency,medium,medium,3,1,1,1,0.5',
    ]);
  });

  it('CSV: an undecided row leaves compliance empty', () => {
    const csv = complianceCsv(complianceReport([clock({ state: 'running', dueAt: msk('2024-06-11T13:00:00') })], now));
    expect(csv.split('\n')[1]).toBe('total,all,all,1,0,0,1,');
  });
});


describe('Slack markup in relayed replies', () => {
  it('is undone so the client reads plain text', () => {
    expect(fromSlackMarkup('See <https://docs.example.com/a?b=1&amp;c=2|the docs> &amp; <https://x.example.com>'))
      .toBe('See the docs (https://docs.example.com/a?b=1&c=2) & https://x.example.com');
    expect(fromSlackMarkup('1 &lt; 2 &gt; 0, ask <mailto:ops@example.com|ops@example.com>, cc <#C123|support>')).toBe('1 < 2 > 0, ask ops@example.com, cc support');
  });
});
