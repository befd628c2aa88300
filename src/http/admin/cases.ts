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
const bodies = {
  reply: z.object({ text: textString().min(1), attachments: z.array(attachment).max(20).optional(), ...actorFields }),
  note: z.object({ text: textString().min(1), ...actorFields }),
  urgency: z.object({ urgency: z.string().refine(isUrgency, 'must be one of critical, high, medium, low, informational, feature'), reason: textString().optional(), ...actorFields }),
  eta: z.object({ dueAt: z.string().datetime({ offset: true }).optional(), when: z.string().min(1).max(LIMITS.name).optional(), note: textString().optional(), ...actorFields })
    .refine((b) => !!b.dueAt !== !!b.when, { message: 'give either dueAt (ISO 8601) or when ("2h", "tomorrow 15:00")', path: ['dueAt'] }),
  needinfo: z.object({ question: textString().min(1), ...actorFields }),
  resolve: z.object({ summary: textString().optional(), ...actorFields }),
  escalate: z.object({ reason: textString().min(1), ...actorFields }),
};

export async function caseRoutes(app: FastifyInstance, deps: AppDeps) {
  const { core } = deps;
  const db = deps.database.db;
  const actor = (b: { managerId?: string }): Actor => ({ managerId: b.managerId ?? null, label: 'admin' });

  app.get<{ Querystring: Record<string, string | undefined> }>('/cases', async (req) => {
    const q = req.query;
    const limit = q.limit ? Number(q.limit) : 200;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
    if (q.sla && !['running', 'met', 'breached', 'paused', 'none'].includes(q.sla)) throw new HttpError(400, 'sla must be running, met, breached, paused or none');
    const cases = await listCases(db, {
      status: q.status ? q.status.split(',') : undefined, clientId: uuidQuery(q.clientId, 'clientId'), managerId: uuidQuery(q.managerId, 'managerId'), urgency: q.urgency, kind: q.kind, sla: q.sla, limit,
    }, core.clock.now());
    return { cases };
  });

  app.get<{ Params: { ref: string } }>('/cases/:ref', async (req) => {
    const ref = caseRef(req.params.ref);
    const [c] = await db.select().from(s.cases).where(ref.id ? eq(s.cases.id, ref.id) : eq(s.cases.number, ref.number!));
    if (!c) throw new HttpError(404, `case ${req.params.ref} not found`);
    const clock = (await latestResponseClocks(db, [c.id])).get(c.id);
    return { ...caseView(c, clock, core.clock.now()), etas: await caseEtas(db, c.id), ...(await explainedTimeline(db, c.id)) };
  });

  const post = <K extends keyof typeof bodies>(name: K, run: (ref: CaseRef, b: z.infer<(typeof bodies)[K]>) => Promise<unknown>) =>
    app.post<{ Params: { ref: string } }>(`/cases/:ref/${name}`, async (req) => {
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
