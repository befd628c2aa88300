// Feature-request queue and funnel-activation timelines.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { completeMilestone, createFunnelActivation, FEATURE_STATUSES, setFeatureStatus } from '../../core/programs';
import type { AppDeps } from '../app';
import { nameString, parse, textString, uuidParam } from './validate';
import { doc, idParam } from '../docs/route';
import { FeatureRequest } from '../docs/shapes';

const featurePatch = z.object({ status: z.enum(FEATURE_STATUSES), note: textString().optional() }).meta({ examples: [{ status: FEATURE_STATUSES[1], note: 'Planned for the March release.' }] });
const funnelBody = z
  .object({
    title: nameString(),
    milestones: z.array(z.object({ title: nameString(), dueAt: z.string().datetime({ offset: true }) })).min(1).max(50),
  })
  .meta({ examples: [{ title: 'Funnel activation', milestones: [{ title: 'Pixel installed', dueAt: '2026-12-07T12:00:00+03:00' }, { title: 'First conversions tracked', dueAt: '2026-12-14T12:00:00+03:00' }] }] });

export async function programRoutes(app: FastifyInstance, deps: AppDeps) {
  const { core } = deps;
  const tags = ['features and funnel activations'];
  app.get('/features', { schema: doc({ tags, summary: 'The feature-request queue: premium first, then oldest', ok: z.object({ features: z.array(FeatureRequest) }) }) }, async () => ({
    features: await core.store.tx((tx) => tx.featureQueue()),
  }));
  app.patch<{ Params: { id: string } }>('/features/:id', { schema: doc({ tags, summary: 'Move a feature request on (the client is told)', params: idParam('feature request'), body: featurePatch }) }, async (req) => {
    const b = parse(featurePatch, req.body);
    return setFeatureStatus(core, uuidParam(req.params.id, 'feature request'), b.status, b.note);
  });
  app.post<{ Params: { id: string } }>('/clients/:id/funnel-activations', {
    schema: doc({ tags, summary: 'Open a funnel activation with dated milestones (reminded like ETAs)', params: idParam('client'), body: funnelBody, status: 201 }),
  }, async (req, reply) => {
    const b = parse(funnelBody, req.body);
    const out = await createFunnelActivation(core, uuidParam(req.params.id, 'client'), b.title, b.milestones.map((m) => ({ title: m.title, dueAt: new Date(m.dueAt) })));
    return reply.code(201).send(out);
  });
  app.post<{ Params: { id: string } }>('/milestones/:id/done', { schema: doc({ tags, summary: 'Mark a milestone done', params: idParam('milestone') }) }, async (req) => completeMilestone(core, uuidParam(req.params.id, 'milestone')));
}
