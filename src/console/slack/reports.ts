import type { ReportClock } from '../../core/report';
import { slaReportRows } from '../../db/read-models';
import type { SlackData } from './data';

/** Response clocks of the last 30 days for /sla, for one client (by name) or all; null when no client matches. */
export async function slaRows(data: SlackData, clientName: string, now: Date): Promise<ReportClock[] | null> {
  const client = clientName ? await data.clientByName(clientName) : null;
  if (clientName && !client) return null;
  return slaReportRows(data.db, { from: new Date(now.getTime() - 30 * 24 * 3600_000), to: new Date(now.getTime() + 1), clientId: client?.id });
}
