// One scenario, every channel: the transcript of core-level facts must be the same whichever channel the client
// uses. New channels join by adding their harness to HARNESSES.
import { CHANNEL_MODULES } from '../../adapters';
import { startTestService, type TestService } from '../support/service';
import type { ChannelHarness, HarnessFactory } from './harness';
import { CRITICAL_CHOSEN, LIFECYCLE_RECEIVED } from './transcripts';

// Every registered channel, each through the harness its folder ships (adapters/<name>/harness.ts).
const HARNESSES: [string, ChannelHarness][] = CHANNEL_MODULES.map((m) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const make = require(`../../adapters/${m.name}/harness`).default as HarnessFactory;
  return [m.name, make()];
});

let t: TestService;
let managerId: string;
/** scenario → channel → what a client and a manager would notice. */
const transcripts = new Map<string, Map<string, unknown>>();
const record = (scenario: string, channel: string, value: unknown) => {
  if (!transcripts.has(scenario)) transcripts.set(scenario, new Map());
  transcripts.get(scenario)!.set(channel, value);
};

beforeAll(async () => {
  const env = Object.assign({}, ...(await Promise.all(HARNESSES.map(([, h]) => h.prepare()))));
  t = await startTestService({ env });
  for (const [, h] of HARNESSES) await h.start(t);
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' })).json.id;
});
afterAll(async () => {
  // Capability gaps are declared, never hidden: print the matrix the scenarios ran against.
  const rows = HARNESSES.map(([name, h]) => {
    const c = h.capabilities;
    return `${name.padEnd(14)} buttons=${c.buttons} threads=${c.threads} attachments=${c.attachments} maxText=${c.maxTextLength} markup=${c.markup}`;
  });
  process.stdout.write(`\nchannel capability matrix:\n${rows.join('\n')}\n`);
  for (const [, h] of HARNESSES) await h.stop();
  await t.close();
});

/** Case numbers differ per run; everything else a client or manager would notice must not. */
function neutral(h: ChannelHarness, number: number) {
  return h.received().map((m) => ({ author: m.author, text: m.text.replaceAll(`#${number}`, '#N'), choices: m.choices }));
}

describe.each(HARNESSES)('%s', (name, h) => {
  let clientId: string;
  /** The channel's client's open case (one at a time in these scenarios). */
  const caseOf = async () => (await t.admin('GET', `/api/v1/cases?clientId=${clientId}&status=open`)).json.cases[0].number as number;
  beforeAll(async () => {
    const c = await t.admin('POST', '/api/v1/clients', { name: `Parity ${name}`, tier: 'premium', managerId });
    expect(c.status).toBe(201);
    clientId = c.json.id;
    await h.link(t, clientId);
  });

  test('a case from first message to resolution, with a redelivery on the way', async () => {
    t.clock.set('2026-11-23T08:00:00Z');
    const first = await h.clientSays('Hi, the dashboard shows wrong numbers for yesterday');
    expect(first.status).toBe(200);
    const again = await h.redeliverLast();
    expect(again.status).toBe(200);
    if (again.outcome) expect(again.outcome).toBe('duplicate');

    const [kase] = (await t.admin('GET', `/api/v1/cases?managerId=${managerId}&status=open`)).json.cases.filter((c: { channel: string }) => c.channel === name);
    expect(kase).toMatchObject({ urgency: 'high', managerId, sla: { state: 'running', dueAt: '2026-11-23T08:30:00.000Z' } });
    await t.drain();

    t.clock.set('2026-11-23T08:10:00Z');
    await t.admin('POST', `/api/v1/cases/${kase.number}/eta`, { dueAt: '2026-11-23T12:00:00Z', managerId });
    t.clock.set('2026-11-23T09:00:00Z');
    await h.clientSays('Thanks, waiting');
    t.clock.set('2026-11-23T11:00:00Z');
    await t.admin('POST', `/api/v1/cases/${kase.number}/resolve`, { managerId, summary: 'Timezone setting fixed.' });
    await t.drain();

    const done = (await t.admin('GET', `/api/v1/cases/${kase.number}`)).json;
    const transcript = {
      urgency: done.urgency, status: done.status, sla: done.sla.state, etas: done.etas.map((e: { state: string }) => e.state),
      inbound: done.messages.filter((m: { direction: string }) => m.direction === 'inbound').length,
      received: neutral(h, kase.number),
    };
    record('lifecycle', name, transcript);
    expect(transcript).toEqual({
      urgency: 'high', status: 'resolved', sla: 'met', etas: ['met'], inbound: 2,
      received: LIFECYCLE_RECEIVED,
    });
  });

  test('a message within the reopen window reopens the case, with the urgency the client chose', async () => {
    t.clock.set('2026-11-24T08:00:00Z');
    const before = h.received().length;
    await h.clientSays('Something small to check when you can', { urgency: 'low' });
    await t.drain();
    const ack = h.received()[before];
    expect(ack.choices).toEqual([]); // the client chose the urgency
    expect(ack.text).toMatch(/^We reopened case #\d+\. Urgency: low\./);
    expect(ack.text).toContain('Tue 24 Nov 2026, 12:00 (Europe/Moscow)');
  });

  test('/status lists the open cases', async () => {
    const before = h.received().length;
    const res = await h.clientSays('/status');
    expect(res.status).toBe(200);
    await t.drain();
    const status = h.received()[before];
    expect(status.text).toMatch(/^Your open cases:\n#\d+ — Hi, the dashboard shows wrong numbers for yesterday — low, open$/);
  });

  test('the client picks an urgency from the choices on the acknowledgement', async () => {
    t.clock.set('2026-11-25T08:00:00Z'); // Wednesday 11:00 in Moscow
    await t.admin('POST', `/api/v1/cases/${await caseOf()}/resolve`, { managerId });
    await t.drain();
    t.clock.set('2026-12-07T08:00:00Z'); // past the reopen window: a new case
    const before = h.received().length;
    await h.clientSays('How do I export the monthly report?');
    await t.drain();
    const ack = h.received()[before];
    expect(ack.choices).toContain('/urgency critical');
    const picked = await h.choose('/urgency critical');
    expect(picked.status).toBe(200);
    await t.drain();
    const told = h.received()[before + 1];
    expect(told.text.replaceAll(/#\d+/g, '#N')).toBe(CRITICAL_CHOSEN);
    const kase = (await t.admin('GET', `/api/v1/cases/${await caseOf()}`)).json;
    expect(kase).toMatchObject({ urgency: 'critical', urgencySource: 'client', sla: { state: 'running', dueAt: '2026-12-07T08:15:00.000Z' } });
    record('choice', name, neutral(h, kase.number).slice(before));
  });
});

test('every channel produced the same transcript', () => {
  expect([...transcripts.keys()].sort()).toEqual(['choice', 'lifecycle']);
  for (const [scenario, byChannel] of transcripts) {
    expect({ scenario, channels: [...byChannel.keys()] }).toEqual({ scenario, channels: HARNESSES.map(([n]) => n) });
    const distinct = new Set([...byChannel.values()].map((v) => JSON.stringify(v)));
    expect({ scenario, distinct: distinct.size }).toEqual({ scenario, distinct: 1 });
  }
});
