// Feature-request queue and funnel-activation timelines.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { completeMilestone, createFunnelActivation, FEATURE_STATUSES, setFeatureStatus } from '../../core/programs';
import type { AppDeps } from '../app';
import { nameString, parse, textString, uuidParam } from './validate';

export async function programRoutes(app: FastifyInstance, deps: AppDeps) {
  const { core } = deps;
  app.get('/features', async () => ({ features: await core.store.tx((tx) => tx.featureQueue()) }));
  app.patch<{ Params: { id: string } }>('/features/:id', async (req) => {
    const b = parse(z.object({ status: z.enum(FEATURE_STATUSES), note: textString().optional() }), req.body);
    return setFeatureStatus(core, uuidParam(req.params.id, 'feature request'), b.status, b.note);
  });
  app.post<{ Params: { id: string } }>('/clients/:id/funnel-activations', async (req, reply) => {
    const b = parse(z.object({
      title: nameString(),
      milestones: z.array(z.object({ title: nameString(), dueAt: z.string().datetime({ offset: true }) })).min(1).max(50),
    }), req.body);
    const out = await createFunnelActivation(core, uuidParam(req.params.id, 'client'), b.title, b.milestones.map((m) => ({ title: m.title, dueAt: new Date(m.dueAt) })));
    return reply.code(201).send(out);
  });
  app.post<{ Params: { id: string } }>('/milestones/:id/done', async (req) => completeMilestone(core, uuidParam(req.params.id, 'milestone')));
}
