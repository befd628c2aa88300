// Cases: the queue, one case with its explained timeline, and the manager commands as POSTs.
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import * as commands from '../../core/commands';
import type { Actor, CaseRef } from '../../core/commands';
import { isUrgency } from '../../core/model';
import { parseWhen } from '../../core/when';
import * as s from '../../db/schema';
import { caseEtas, caseView, caseZone, explainedTimeline, latestResponseClocks, listCases } from '../../db/read-models';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { isUuid, LIMITS, nameString, parse, textString, uuidQuery } from './validate';
import { doc } from '../docs/route';
import { Case, CaseDetail, CommandResult } from '../docs/shapes';

/** A case is named by its id or by its number (with or without "#"). */
export function caseRef(param: string): CaseRef {
  if (isUuid(param)) return { id: param };
  const n = Number(param.replace(/^#/, ''));
  if (Number.isInteger(n) && n > 0 && n <= 2_147_483_647) return { number: n };
  throw new HttpError(404, `case ${param} not found`);
}

const actorFields = { managerId: z.string().uuid().optional() };
// Links managers send reach clients as clickable links: web links only.
const attachment = z.object({
  name: nameString(), url: z.string().max(2000).url().refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
  mimeType: z.string().max(LIMITS.name).optional(), size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});
const MANAGER = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const bodies = {
  reply: z.object({ text: textString().min(1), attachments: z.array(attachment).max(20).optional(), ...actorFields }).meta({
    examples: [{ text: 'We found the cause and are deploying a fix.', managerId: MANAGER }, { text: 'The report you asked for.', attachments: [{ name: 'report.pdf', url: 'https://files.vendor.example/report.pdf', mimeType: 'application/pdf', size: 48213 }] }],
  }),
  note: z.object({ text: textString().min(1), ...actorFields }).meta({ examples: [{ text: 'Checked the postback logs: nothing since 09:12.' }] }),
  urgency: z.object({ urgency: z.string().refine(isUrgency, 'must be one of critical, high, medium, low, informational, feature'), reason: textString().optional(), ...actorFields })
    .meta({ examples: [{ urgency: 'high', reason: 'only one campaign is affected', managerId: MANAGER }] }),
  eta: z.object({ dueAt: z.string().datetime({ offset: true }).optional(), when: z.string().min(1).max(LIMITS.name).optional(), note: textString().optional(), ...actorFields })
    .refine((b) => !!b.dueAt !== !!b.when, { message: 'give either dueAt (ISO 8601) or when ("2h", "tomorrow 15:00")', path: ['dueAt'] })
    .meta({ description: 'Either dueAt or when', examples: [{ when: '2h', managerId: MANAGER }, { dueAt: '2026-12-01T15:00:00+03:00', note: 'after the release' }] }),
  needinfo: z.object({ question: textString().min(1), ...actorFields }).meta({ examples: [{ question: 'Which campaign id shows the gap?' }] }),
  resolve: z.object({ summary: textString().optional(), ...actorFields }).meta({ examples: [{ summary: 'Postbacks are flowing again; the backlog was replayed.' }, {}] }),
  escalate: z.object({ reason: textString().min(1), ...actorFields }).meta({ examples: [{ reason: 'Needs the platform team: the collector is down.' }] }),
};
const COMMANDS: Record<keyof typeof bodies, string> = {
  reply: 'Reply to the client (a plain reply does not stop the response clock unless the policy says so)',
  note: 'Add an internal note (never sent to the client)',
  urgency: 'Set the urgency (the open clock’s due time is recomputed from its start)',
  eta: 'Commit to an ETA (a response: stops the response clock and starts the ETA clock)',
  needinfo: 'Ask the client for details (a response: the case waits on the client)',
  resolve: 'Resolve the case (a response)',
  escalate: 'Escalate to the support lead',
};
const caseParam = z.object({ ref: z.string().meta({ description: 'the case id, or its number (1042 or #1042)', examples: ['1042'] }) });
const queueQuery = z.object({
  status: z.string().optional().meta({ description: 'comma-separated: open, waiting_on_client, resolved' }),
  clientId: z.uuid().optional(), managerId: z.uuid().optional(),
  urgency: z.enum(['critical', 'high', 'medium', 'low', 'informational', 'feature']).optional(),
  kind: z.string().optional().meta({ description: 'support, feature, funnel_activation or call' }),
  sla: z.enum(['running', 'met', 'breached', 'paused', 'none']).optional(),
  limit: z.string().regex(/^\d+$/).optional().meta({ description: 'from 1 to 1000; default 200' }),
});

export async function caseRoutes(app: FastifyInstance, deps: AppDeps) {
  const { core } = deps;
  const db = deps.database.db;
  const actor = (b: { managerId?: string }): Actor => ({ managerId: b.managerId ?? null, label: 'admin' });

  const tags = ['cases'];
  app.get<{ Querystring: Record<string, string | undefined> }>('/cases', {
    schema: doc({ tags, summary: 'The queue: premium first, then nearest deadline', querystring: queueQuery, ok: z.object({ cases: z.array(Case) }) }),
  }, async (req) => {
    const q = req.query;
    const limit = q.limit ? Number(q.limit) : 200;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
    if (q.sla && !['running', 'met', 'breached', 'paused', 'none'].includes(q.sla)) throw new HttpError(400, 'sla must be running, met, breached, paused or none');
    const cases = await listCases(db, {
      status: q.status ? q.status.split(',') : undefined, clientId: uuidQuery(q.clientId, 'clientId'), managerId: uuidQuery(q.managerId, 'managerId'), urgency: q.urgency, kind: q.kind, sla: q.sla, limit,
    }, core.clock.now());
    return { cases };
  });

  app.get<{ Params: { ref: string } }>('/cases/:ref', {
    schema: doc({ tags, summary: 'One case with its SLA state, ETA revisions, messages and explained timeline', params: caseParam, ok: CaseDetail }),
  }, async (req) => {
    const ref = caseRef(req.params.ref);
    const [c] = await db.select().from(s.cases).where(ref.id ? eq(s.cases.id, ref.id) : eq(s.cases.number, ref.number!));
    if (!c) throw new HttpError(404, `case ${req.params.ref} not found`);
    const clock = (await latestResponseClocks(db, [c.id])).get(c.id);
    return { ...caseView(c, clock, core.clock.now()), etas: await caseEtas(db, c.id), ...(await explainedTimeline(db, c.id)) };
  });

  const post = <K extends keyof typeof bodies>(name: K, run: (ref: CaseRef, b: z.infer<(typeof bodies)[K]>) => Promise<unknown>) =>
    app.post<{ Params: { ref: string } }>(`/cases/:ref/${name}`, {
      schema: doc({ tags, summary: COMMANDS[name], params: caseParam, body: bodies[name], ok: CommandResult, errors: [409] }),
    }, async (req) => {
      const b = parse(bodies[name], req.body) as z.infer<(typeof bodies)[K]>;
      const ref = caseRef(req.params.ref);
      return { ok: true, result: await run(ref, b) };
    });

  post('reply', (ref, b) => commands.reply(core, ref, actor(b), b.text, b.attachments));
  post('note', (ref, b) => commands.note(core, ref, actor(b), b.text));
  post('urgency', (ref, b) => commands.setUrgency(core, ref, actor(b), b.urgency, b.reason));
  post('eta', async (ref, b) => {
    let dueAt: Date | null;
    if (b.dueAt) dueAt = new Date(b.dueAt);
    else {
      // "tomorrow 15:00" means the manager's wall clock; without a manager, the client's business calendar's.
      const manager = b.managerId ? (await db.select({ z: s.managers.timeZone }).from(s.managers).where(eq(s.managers.id, b.managerId)))[0] : undefined;
      const zone = manager?.z ?? (await caseZone(db, ref));
      dueAt = parseWhen(b.when!, core.clock.now(), zone);
      if (!dueAt) throw new HttpError(400, `when: can't read "${b.when}" as a time; try "2h", "90m", "tomorrow 15:00" or an ISO 8601 time`);
    }
    return commands.postEta(core, ref, actor(b), dueAt, b.note);
  });
  post('needinfo', (ref, b) => commands.askForDetails(core, ref, actor(b), b.question));
  post('resolve', (ref, b) => commands.resolve(core, ref, actor(b), b.summary));
  post('escalate', (ref, b) => commands.escalate(core, ref, actor(b), b.reason));
}
