// SLA compliance (met / decided) grouped per client, manager and urgency. Pure: rows in, figures out.
export interface ReportClock {
  clientId: string;
  clientName: string;
  managerId: string | null;
  managerName: string | null;
  urgency: string;
  state: string;
  breachedAt: Date | null;
  dueAt: Date;
}

export interface ComplianceRow {
  key: string;
  name: string;
  total: number;
  met: number;
  breached: number;
  running: number;
  /** met / (met + breached); null when nothing is decided yet. */
  compliance: number | null;
}

function outcome(c: ReportClock, now: Date): 'met' | 'breached' | 'running' {
  if (c.state === 'met') return 'met';
  if (c.state === 'breached' || c.breachedAt || (c.state === 'running' && c.dueAt.getTime() < now.getTime())) return 'breached';
  return 'running';
}

function group(clocks: ReportClock[], now: Date, keyOf: (c: ReportClock) => [string, string]): ComplianceRow[] {
  const rows = new Map<string, ComplianceRow>();
  for (const c of clocks) {
    const [key, name] = keyOf(c);
    const row = rows.get(key) ?? { key, name, total: 0, met: 0, breached: 0, running: 0, compliance: null };
    row.total++;
    row[outcome(c, now)]++;
    rows.set(key, row);
  }
  return [...rows.values()]
    .map((r) => ({ ...r, compliance: r.met + r.breached ? Math.round((r.met / (r.met + r.breached)) * 10000) / 10000 : null }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function complianceReport(clocks: ReportClock[], now: Date) {
  const decided = clocks.filter((c) => c.state !== 'cancelled');
  return {
    totals: group(decided, now, () => ['all', 'all'])[0] ?? { key: 'all', name: 'all', total: 0, met: 0, breached: 0, running: 0, compliance: null },
    byClient: group(decided, now, (c) => [c.clientId, c.clientName]),
    byManager: group(decided, now, (c) => [c.managerId ?? 'unassigned', c.managerName ?? 'unassigned']),
    byUrgency: group(decided, now, (c) => [c.urgency, c.urgency]),
  };
}

export function complianceCsv(r: ReturnType<typeof complianceReport>): string {
  const esc = (v: unknown) => {
    const t = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  const lines = ['dimension,key,name,total,met,breached,running,compliance'];
  const add = (dim: string, rows: ComplianceRow[]) => {
    for (const x of rows) lines.push([dim, x.key, x.name, x.total, x.met, x.breached, x.running, x.compliance].map(esc).join(','));
  };
  add('total', [r.totals]);
  add('client', r.byClient);
  add('manager', r.byManager);
  add('urgency', r.byUrgency);
  return lines.join('\n') + '\n';
}
