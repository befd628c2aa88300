// Texts the client receives. Channel-blind: adapters render them; capability fallbacks live in outbound.ts.
import { DateTime } from 'luxon';
import type { CalendarSpec, Urgency } from './model';
import type { ManagerRow } from './records';
import { isValidZone } from './zones';

export function formatInZone(at: Date, zone: string): string {
  const dt = DateTime.fromJSDate(at, { zone });
  return `${dt.toFormat('ccc d LLL yyyy, HH:mm')} (${zone})`;
}

/** The vendor's zone always; the client's zone too when known and different. */
export function formatForClient(at: Date, calendar: CalendarSpec, clientZone: string | null | undefined): string {
  const vendor = formatInZone(at, calendar.zone);
  if (!clientZone || clientZone === calendar.zone || !isValidZone(clientZone)) return vendor;
  return `${vendor} / ${formatInZone(at, clientZone)}`;
}

export function ackText(a: {
  number: number;
  urgency: Urgency | string;
  manager: ManagerRow | null;
  coveringFor: ManagerRow | null;
  coverWhy?: 'away' | 'off_hours' | null;
  dueAt: Date | null;
  nextAvailable: Date | null;
  calendar: CalendarSpec;
  clientZone: string | null;
  reopened: boolean;
}): string {
  const lines = [`${a.reopened ? 'We reopened' : 'We received your request:'} case #${a.number}. Urgency: ${a.urgency}.`];
  if (a.manager && a.coveringFor)
    lines.push(`${a.coveringFor.name} is ${a.coverWhy === 'off_hours' ? 'outside working hours' : 'away'}; ${a.manager.name} is covering your case.`);
  else if (a.manager) lines.push(`Your manager: ${a.manager.name}.`);
  if (a.dueAt) lines.push(`You will get a response by ${formatForClient(a.dueAt, a.calendar, a.clientZone)}.`);
  if (a.nextAvailable)
    lines.push(`We are outside business hours now; your manager is next available ${formatForClient(a.nextAvailable, a.calendar, a.clientZone)}.`);
  return lines.join('\n');
}

export const CLIENT_HELP =
  'Commands: /status — your open cases; /urgency <critical|high|medium|low|informational|feature> — set the urgency of your open case; ' +
  '/call <when> — request a call (at least one working day ahead); /feature <text> — file a feature request.';
