// SPEC §6: what a client can do from any channel by text — /status, /urgency, /call, /feature.
import { randomUUID } from 'node:crypto';
import type { ChangeSet } from './changes';
import { CLIENT_HELP, formatForClient } from './compose';
import type { Core } from './context';
import { addTimeline, notifyConsole, sendToClient, type ClientDestination } from './effects';
import { isUrgency, type CalendarSpec, type CaseKind, type Urgency } from './model';
import type { InboundEnvelope, IntakeContext, StoreTx } from './ports';
import type { CaseRow, ClientRow, ContactRow, MessageRow } from './records';
import { route } from './routing';
import { calendarFor, recomputeClock, startResponseClock } from './sla/clocks';
import { MAX_AHEAD_DAYS, parseWhen, tooFarAhead } from './when';

export type ClientCommandName = 'status' | 'urgency' | 'call' | 'feature' | 'help' | 'start';
export interface ClientCommand {
  name: ClientCommandName;
  arg: string;
}

const NAMES: Record<string, ClientCommandName> = { status: 'status', urgency: 'urgency', call: 'call', feature: 'feature', help: 'help', start: 'start' };

export function parseClientCommand(text: string): ClientCommand | null {
  const m = /^\s*\/([a-z]+)(?:@\S+)?(?:\s+([\s\S]*))?$/i.exec(text);
  const name = m ? NAMES[m[1].toLowerCase()] : undefined;
  return name ? { name, arg: (m![2] ?? '').trim() } : null;
}

interface Run {
  command: ClientCommand;
  ctx: IntakeContext;
  client: ClientRow;
  contact: ContactRow;
  env: InboundEnvelope;
  from: ClientDestination;
  now: Date;
  /** The command message itself, already stored (on the open case, if any). */
  message: MessageRow;
}

export async function runClientCommand(core: Core, tx: StoreTx, cs: ChangeSet, run: Run): Promise<void> {
  const reply = (text: string, kind: 'status' | 'notice' | 'feature' | 'call' = 'notice') =>
    sendToClient(cs, run.from, { kind, text }, run.now, core.delivery);
  switch (run.command.name) {
    case 'help':
      return void reply(CLIENT_HELP);
    case 'start':
      return void reply(await startText(tx, run));
    case 'status':
      return void reply(await statusText(tx, run), 'status');
    case 'urgency':
      return setUrgencyByClient(core, cs, run, reply);
    case 'call':
      return requestCall(core, tx, cs, run, reply);
    case 'feature':
      return fileFeature(core, tx, cs, run, reply);
  }
}

/** `/start` greets; `/start <code>` confirms the link that intake made before reading the context (or says why not). */
async function startText(tx: StoreTx, run: Run): Promise<string> {
  const code = run.command.arg;
  if (!code) return `Hello! Write your question here and we will get back to you.\n${CLIENT_HELP}`;
  const found = await tx.linkCode(code);
  const key = run.env.linkKeys?.[0];
  if (found && key && found.usedBy === `${run.env.channel}:${key}`)
    return `This chat is now connected to ${found.clientName}'s support. Write your question here any time.\n${CLIENT_HELP}`;
  return 'That link is not valid any more (it may have expired or been used in another chat). Please ask your manager for a new one.';
}

async function statusText(tx: StoreTx, run: Run): Promise<string> {
  const open = await tx.openCasesOfClient(run.client.id);
  if (!open.length) return 'You have no open cases. Write to us any time to open one.';
  const lines = open.map((c) => {
    const eta = c.etaAt ? `, ETA ${formatForClient(c.etaAt, run.ctx.calendar, run.contact.timeZone)}` : '';
    const status = c.status === 'waiting_on_client' ? 'waiting for your details' : c.status;
    return `#${c.number} — ${c.subject || c.kind} — ${c.urgency}, ${status}${eta}`;
  });
  return `Your open cases:\n${lines.join('\n')}`;
}

function setUrgencyByClient(core: Core, cs: ChangeSet, run: Run, reply: (t: string) => void): void {
  const level = run.command.arg.toLowerCase();
  if (!isUrgency(level)) return reply(`Usage: /urgency <critical|high|medium|low|informational|feature>`);
  const agg = run.ctx.openCase;
  if (!agg) return reply(`You have no open case. Write your question first, then set its urgency with /urgency ${level}.`);
  const kase = agg.case;
  if (kase.urgencySource === 'manager')
    return reply(`Your manager set case #${kase.number} to ${kase.urgency}; please tell them in a message why it should be ${level}.`);
  if (kase.urgency === level) return reply(`Case #${kase.number} is already ${level}.`);
  cs.update('cases', kase.id, { urgency: level, urgencySource: 'client', updatedAt: run.now });
  addTimeline(cs, kase.id, run.now, 'urgency_set', `contact:${run.contact.id}`, 'chosen by the client (/urgency)', { urgency: level, from: kase.urgency, source: 'client' });
  let due = '';
  if (agg.responseClock) {
    recomputeClock(cs, agg.responseClock, { urgency: level, policy: run.ctx.policy, calendar: run.ctx.calendar, now: run.now, reason: `client set urgency ${level}` });
    due = ` You will get a response by ${formatForClient(agg.responseClock.dueAt, run.ctx.calendar, run.contact.timeZone)}.`;
  }
  notifyConsole(cs, {
    type: 'case_updated', caseId: kase.id, caseNumber: kase.number, toLead: false, managerIds: kase.managerId ? [kase.managerId] : [],
    text: `${run.contact.name} set case #${kase.number} to ${level}.`,
  }, run.now, core.delivery);
  reply(`Case #${kase.number} is now ${level}.${due}`);
}

/** SPEC §6: the first moment one working day of the client's calendar ahead, inside business hours. */
export function earliestCallMoment(calendar: CalendarSpec, now: Date): Date {
  const cal = calendarFor(calendar);
  return cal.nextWorkingMoment(cal.addWorkingTime(now, cal.workingDayLength(now)));
}

/** The earliest slot to offer a client: the earliest moment rounded up to a quarter hour when that still works. */
export function earliestCallSlot(calendar: CalendarSpec, now: Date): Date {
  const earliest = earliestCallMoment(calendar, now);
  const rounded = new Date(Math.ceil(earliest.getTime() / 900_000) * 900_000);
  return calendarFor(calendar).isWorking(rounded) ? rounded : earliest;
}

export function checkCallSlot(calendar: CalendarSpec, now: Date, slot: Date): { ok: true } | { ok: false; earliest: Date; why: string } {
  // The rule is the exact moment; only the slot we suggest is rounded, so asking for exactly one working day ahead works.
  if (slot.getTime() < earliestCallMoment(calendar, now).getTime())
    return { ok: false, earliest: earliestCallSlot(calendar, now), why: 'calls must be agreed at least one working day ahead' };
  const earliest = earliestCallSlot(calendar, now);
  if (!calendarFor(calendar).isWorking(slot)) return { ok: false, earliest, why: 'the time is outside business hours' };
  return { ok: true };
}

async function newClientCase(
  core: Core, tx: StoreTx, cs: ChangeSet, run: Run, kind: CaseKind, urgency: Urgency, subject: string, why: string,
): Promise<CaseRow> {
  const r = route(run.client, run.ctx.managers, urgency, run.ctx.calendar, run.now);
  const kase = cs.insert('cases', {
    id: randomUUID(), number: await tx.nextCaseNumber(), clientId: run.client.id, contactId: run.contact.id, kind, status: 'open',
    urgency, urgencySource: 'client', managerId: r.manager?.id ?? null, coveringForManagerId: r.coveringFor?.id ?? null,
    channel: run.env.channel, conversationKey: run.env.conversationKey, address: run.env.address, subject,
    openedAt: run.now, resolvedAt: null, etaAt: null, updatedAt: run.now,
  });
  // The request opened this case: its message belongs here (the pending insert is the same row object).
  run.message.caseId = kase.id;
  addTimeline(cs, kase.id, run.now, 'opened', `contact:${run.contact.id}`, why, { kind });
  addTimeline(cs, kase.id, run.now, 'assigned', 'system', r.reason, { managerId: r.manager?.id ?? null });
  startResponseClock(cs, { caseId: kase.id, urgency, policy: run.ctx.policy, calendar: run.ctx.calendar, now: run.now, reason: why });
  notifyConsole(cs, {
    type: 'case_opened', caseId: kase.id, caseNumber: kase.number, toLead: false, managerIds: r.manager ? [r.manager.id] : [],
    text: `${run.contact.name} (${run.client.name}) opened ${kind} case #${kase.number}: ${subject}`,
  }, run.now, core.delivery);
  return kase;
}

async function requestCall(core: Core, tx: StoreTx, cs: ChangeSet, run: Run, reply: (t: string, k?: 'call') => void): Promise<void> {
  const zone = run.contact.timeZone || run.ctx.calendar.zone;
  const fmt = (d: Date) => formatForClient(d, run.ctx.calendar, run.contact.timeZone);
  const slot = parseWhen(run.command.arg, run.now, zone);
  if (!slot)
    return reply(`Usage: /call <when>, e.g. /call tomorrow 15:00. The earliest possible slot is ${fmt(earliestCallSlot(run.ctx.calendar, run.now))}.`, 'call');
  if (tooFarAhead(slot, run.now, 'call'))
    return reply(`We can book calls up to ${MAX_AHEAD_DAYS.call} days ahead. The earliest possible slot is ${fmt(earliestCallSlot(run.ctx.calendar, run.now))}.`, 'call');
  const check = checkCallSlot(run.ctx.calendar, run.now, slot);
  if (!check.ok) return reply(`We can't book a call for ${fmt(slot)}: ${check.why}. The earliest possible slot is ${fmt(check.earliest)}.`, 'call');
  const kase = await newClientCase(core, tx, cs, run, 'call', 'medium', `Call requested for ${fmt(slot)}`, 'call requested by the client');
  cs.insert('callRequests', { id: randomUUID(), caseId: kase.id, clientId: run.client.id, slotAt: slot, requestedAt: run.now, status: 'requested' });
  reply(`Call requested for ${fmt(slot)} (case #${kase.number}). Your manager will confirm it.`, 'call');
}

async function fileFeature(core: Core, tx: StoreTx, cs: ChangeSet, run: Run, reply: (t: string, k?: 'feature') => void): Promise<void> {
  const text = run.command.arg;
  if (!text) return reply('Usage: /feature <what you would like the product to do>', 'feature');
  const kase = await newClientCase(core, tx, cs, run, 'feature', 'feature', text.slice(0, 120), 'feature request filed by the client');
  cs.insert('featureRequests', { id: randomUUID(), caseId: kase.id, clientId: run.client.id, text, status: 'new', createdAt: run.now, updatedAt: run.now });
  const queue = await tx.featureQueue();
  const ahead = queue.filter((f) => f.status !== 'done' && f.status !== 'declined' && (run.client.tier !== 'premium' ? true : f.tier === 'premium')).length;
  reply(`Feature request filed as case #${kase.number}. ${ahead} request(s) are ahead of it in the queue; we will tell you when its status changes.`, 'feature');
}
