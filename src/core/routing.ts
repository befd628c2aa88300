// SPEC §4: every case goes to the client's dedicated manager; cover when that manager is away (or off hours for a
// critical case): backup manager, or the on-call manager for critical.
import type { CalendarSpec, Urgency } from './model';
import type { ClientRow, ManagerRow } from './records';
import { calendarFor } from './sla/clocks';

export interface RouteDecision {
  manager: ManagerRow | null;
  /** The dedicated manager this case is covered for, when someone else holds it. */
  coveringFor: ManagerRow | null;
  /** Why someone covers: the dedicated manager is away, or outside working hours for a critical case. */
  coverWhy: 'away' | 'off_hours' | null;
  reason: string;
}

/** A manager keeps the vendor's working hours in their own time zone. */
export function managerIsWorking(m: ManagerRow, calendar: CalendarSpec, now: Date): boolean {
  try {
    return calendarFor({ ...calendar, zone: m.timeZone || calendar.zone }).isWorking(now);
  } catch {
    return calendarFor(calendar).isWorking(now);
  }
}

export function route(client: ClientRow, managers: ManagerRow[], urgency: Urgency, calendar: CalendarSpec, now: Date): RouteDecision {
  const byId = (id: string | null) => (id ? (managers.find((m) => m.id === id) ?? null) : null);
  const active = (m: ManagerRow | null) => (m && m.status === 'active' ? m : null);
  const dedicated = byId(client.managerId) ?? managers.find((m) => m.isDefault) ?? null;
  if (!dedicated) return { manager: null, coveringFor: null, coverWhy: null, reason: 'no manager assigned: unassigned queue' };

  const away = dedicated.status !== 'active';
  const offHours = urgency === 'critical' && !managerIsWorking(dedicated, calendar, now);
  if (!away && !offHours) return { manager: dedicated, coveringFor: null, coverWhy: null, reason: 'dedicated manager' };

  const why = away ? `${dedicated.name} is away` : `${dedicated.name} is outside working hours`;
  const backup = active(byId(client.backupManagerId));
  const onCall = urgency === 'critical' ? (managers.find((m) => m.onCall && m.status === 'active' && m.id !== dedicated.id) ?? null) : null;
  const cover = urgency === 'critical' ? (onCall ?? backup) : backup;
  if (cover && cover.id !== dedicated.id)
    return { manager: cover, coveringFor: dedicated, coverWhy: away ? 'away' : 'off_hours', reason: `${why}; ${cover.id === onCall?.id ? 'on-call' : 'backup'} manager ${cover.name} covers` };
  return { manager: dedicated, coveringFor: null, coverWhy: null, reason: `${why}; no cover available, stays with the dedicated manager` };
}
