// Feature-request status changes and funnel-activation timelines (SPEC §6), driven from the console.
import { randomUUID } from 'node:crypto';
import { ChangeSet } from './changes';
import { cancelRunningClocks, CommandError } from './commands';
import { formatForClient } from './compose';
import type { Core } from './context';
import { addTimeline, destinationOf, sendToClient } from './effects';
import { startDeadlineClock, stopClock } from './sla/clocks';
import { MAX_AHEAD_DAYS, tooFarAhead } from './when';

export const FEATURE_STATUSES = ['new', 'planned', 'in_progress', 'done', 'declined'] as const;
export type FeatureStatus = (typeof FEATURE_STATUSES)[number];

/** The client is told whenever its request changes status. */
export function setFeatureStatus(core: Core, featureId: string, status: FeatureStatus, noteText = '') {
  return core.store.tx(async (tx) => {
    const fr = await tx.featureRequest(featureId);
    if (!fr) throw new CommandError('not_found', `feature request ${featureId} not found`);
    if (!FEATURE_STATUSES.includes(status)) throw new CommandError('invalid', `status must be one of ${FEATURE_STATUSES.join(', ')}`);
    if (fr.status === status) return { changed: false };
    const agg = await tx.loadCase({ id: fr.caseId });
    if (!agg) throw new CommandError('not_found', 'the feature request has no case');
    const now = core.clock.now();
    const cs = new ChangeSet();
    cs.update('featureRequests', fr.id, { status, updatedAt: now });
    const label = status.replace('_', ' ');
    sendToClient(cs, destinationOf(agg.case), {
      kind: 'feature', caseNumber: agg.case.number,
      text: `Your feature request (case #${agg.case.number}) is now: ${label}.${noteText ? `\n${noteText}` : ''}`,
    }, now, core.delivery);
    addTimeline(cs, agg.case.id, now, 'feature_status', 'admin', noteText, { from: fr.status, to: status });
    // Telling the client what will happen to their request is a response (SPEC §3): the 5-hour clock stops.
    if ((status === 'planned' || status === 'in_progress') && agg.responseClock)
      stopClock(cs, agg.responseClock, now, `feature request ${label}: the client was told`);
    if (status === 'done' || status === 'declined') {
      if (agg.responseClock) stopClock(cs, agg.responseClock, now, `feature request ${label}`);
      await cancelRunningClocks(tx, cs, agg.case.id, now, `feature request ${label}`);
      cs.update('cases', agg.case.id, { status: 'resolved', resolvedAt: now, updatedAt: now });
    }
    await tx.apply(cs);
    return { changed: true };
  });
}

export interface MilestoneInput {
  title: string;
  dueAt: Date;
}

/** A funnel activation is a case of its own kind whose dated milestones are reminded like ETAs. */
export function createFunnelActivation(core: Core, clientId: string, title: string, milestones: MilestoneInput[]) {
  return core.store.tx(async (tx) => {
    const client = await tx.getClient(clientId);
    if (!client) throw new CommandError('not_found', `client ${clientId} not found`);
    if (!milestones.length) throw new CommandError('invalid', 'at least one milestone is needed');
    const now = core.clock.now();
    if (milestones.some((m) => m.dueAt.getTime() <= now.getTime())) throw new CommandError('invalid', 'milestone dates must be in the future');
    if (milestones.some((m) => tooFarAhead(m.dueAt, now, 'milestone')))
      throw new CommandError('invalid', `milestone dates must be within ${MAX_AHEAD_DAYS.milestone} days`);
    const latest = await tx.latestCaseOfClient(clientId);
    if (!latest) throw new CommandError('conflict', 'the client has not written from any channel yet, so there is no channel to reach them');
    const { calendar } = await tx.clientSettings(client);
    const cs = new ChangeSet();
    const kase = cs.insert('cases', {
      id: randomUUID(), number: await tx.nextCaseNumber(), clientId, contactId: latest.contactId, kind: 'funnel_activation', status: 'open',
      urgency: 'medium', urgencySource: 'manager', managerId: client.managerId, coveringForManagerId: null, channel: latest.channel,
      conversationKey: latest.conversationKey, address: latest.address, subject: title, openedAt: now, resolvedAt: null, etaAt: null, updatedAt: now,
    });
    addTimeline(cs, kase.id, now, 'opened', 'admin', 'funnel activation agreed', { milestones: milestones.length });
    const sorted = [...milestones].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    const created: { id: string; title: string; dueAt: string }[] = [];
    for (const m of sorted) {
      const row = cs.insert('milestones', { id: randomUUID(), caseId: kase.id, title: m.title, dueAt: m.dueAt, doneAt: null });
      startDeadlineClock(cs, { caseId: kase.id, kind: 'milestone', urgency: 'medium', dueAt: m.dueAt, now, reason: `milestone "${m.title}"`, milestoneId: row.id });
      created.push({ id: row.id, title: m.title, dueAt: m.dueAt.toISOString() });
    }
    const plan = sorted.map((m, i) => `${i + 1}. ${m.title} — ${formatForClient(m.dueAt, calendar, null)}`).join('\n');
    sendToClient(cs, destinationOf(kase), { kind: 'notice', caseNumber: kase.number, text: `Funnel activation "${title}" (case #${kase.number}) — agreed timeline:\n${plan}` }, now, core.delivery);
    await tx.apply(cs);
    // The milestone ids are what POST /milestones/:id/done takes; nothing else in the API exposes them.
    return { caseId: kase.id, number: kase.number, milestones: created };
  });
}

export function completeMilestone(core: Core, milestoneId: string) {
  return core.store.tx(async (tx) => {
    const found = await tx.milestoneWithClock(milestoneId);
    if (!found) throw new CommandError('not_found', `milestone ${milestoneId} not found`);
    if (found.milestone.doneAt) return { done: true, state: 'already done' };
    const now = core.clock.now();
    const cs = new ChangeSet();
    cs.update('milestones', milestoneId, { doneAt: now });
    const state = found.clock && found.clock.state === 'running' ? stopClock(cs, found.clock, now, 'milestone done') : (found.clock?.state ?? 'met');
    addTimeline(cs, found.milestone.caseId, now, 'milestone_done', 'admin', found.milestone.title, { milestoneId, state });
    await tx.apply(cs);
    return { done: true, state };
  });
}
