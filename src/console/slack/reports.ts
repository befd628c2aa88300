import { and, eq, gte } from 'drizzle-orm';
import type { ReportClock } from '../../core/report';
import * as s from '../../db/schema';
import type { SlackData } from './data';

/** Response clocks of the last 30 days for /sla, for one client (by name) or all; null when no client matches. */
export async function slaRows(data: SlackData, clientName: string, now: Date): Promise<ReportClock[] | null> {
  const client = clientName ? await data.clientByName(clientName) : null;
  if (clientName && !client) return null;
  const db = data.db;
  return db
    .select({
      clientId: s.clients.id, clientName: s.clients.name, managerId: s.cases.managerId, managerName: s.managers.name,
      urgency: s.slaClocks.urgency, state: s.slaClocks.state, breachedAt: s.slaClocks.breachedAt, dueAt: s.slaClocks.dueAt,
    })
    .from(s.slaClocks)
    .innerJoin(s.cases, eq(s.cases.id, s.slaClocks.caseId))
    .innerJoin(s.clients, eq(s.clients.id, s.cases.clientId))
    .leftJoin(s.managers, eq(s.managers.id, s.cases.managerId))
    .where(and(eq(s.slaClocks.kind, 'response'), gte(s.slaClocks.startedAt, new Date(now.getTime() - 30 * 24 * 3600_000)), client ? eq(s.cases.clientId, client.id) : undefined));
}
