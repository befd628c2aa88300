import type { FastifyInstance } from 'fastify';
import { complianceCsv, complianceReport } from '../../core/report';
import { slaReportRows } from '../../db/read-models';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { uuidQuery } from './validate';
import { z } from 'zod';
import { doc } from '../docs/route';
import { ComplianceReport } from '../docs/shapes';

const REPORT_RANGE = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2999, 11, 31) };

export async function reportRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;
  const query = z.object({
    from: z.string().optional().meta({ description: 'ISO 8601; default 30 days ago', examples: ['2026-11-01T00:00:00+03:00'] }),
    to: z.string().optional().meta({ description: 'ISO 8601; default now' }),
    format: z.enum(['json', 'csv']).optional(),
    clientId: z.uuid().optional(),
  });
  const schema = doc({
    tags: ['reports'], summary: 'SLA compliance per client, manager and urgency', querystring: query, ok: ComplianceReport,
    description: 'Response clocks started in [from, to). With format=csv: text/csv with one row per dimension and key.',
  });
  app.get<{ Querystring: { from?: string; to?: string; format?: string; clientId?: string } }>('/reports/sla', { schema }, async (req, reply) => {
    const now = deps.core.clock.now();
    const from = req.query.from ? new Date(req.query.from) : new Date(now.getTime() - 30 * 24 * 3600_000);
    const to = req.query.to ? new Date(req.query.to) : now;
    if (isNaN(from.getTime()) || isNaN(to.getTime())) throw new HttpError(400, 'from and to must be ISO 8601 times');
    for (const [name, d] of [['from', from], ['to', to]] as const)
      if (d.getTime() < REPORT_RANGE.from || d.getTime() > REPORT_RANGE.to) throw new HttpError(400, `${name} must be between 1970-01-01 and 2999-12-31`);
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'format must be json or csv');
    const rows = await slaReportRows(db, { from, to, clientId: uuidQuery(req.query.clientId, 'clientId') });
    const report = complianceReport(rows, now);
    if (format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="sla-report.csv"').send(complianceCsv(report));
    return { from: from.toISOString(), to: to.toISOString(), ...report };
  });
}
