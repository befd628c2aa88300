import type { FastifyInstance } from 'fastify';
import { complianceCsv, complianceReport } from '../../core/report';
import { slaReportRows } from '../../db/read-models';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { uuidQuery } from './validate';

export async function reportRoutes(app: FastifyInstance, deps: AppDeps) {
  const db = deps.database.db;
  app.get<{ Querystring: { from?: string; to?: string; format?: string; clientId?: string } }>('/reports/sla', async (req, reply) => {
    const now = deps.core.clock.now();
    const from = req.query.from ? new Date(req.query.from) : new Date(now.getTime() - 30 * 24 * 3600_000);
    const to = req.query.to ? new Date(req.query.to) : now;
    if (isNaN(from.getTime()) || isNaN(to.getTime())) throw new HttpError(400, 'from and to must be ISO 8601 times');
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'format must be json or csv');
    const rows = await slaReportRows(db, { from, to, clientId: uuidQuery(req.query.clientId, 'clientId') });
    const report = complianceReport(rows, now);
    if (format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="sla-report.csv"').send(complianceCsv(report));
    return { from: from.toISOString(), to: to.toISOString(), ...report };
  });
}
