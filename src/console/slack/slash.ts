// Slash commands run (SPEC §5): the case a command names, and what the manager reads back. Client names and feature
// texts in the answers are escaped: Slack renders a command's answer as mrkdwn.
import * as commands from '../../core/commands';
import type { Actor, CaseRef } from '../../core/commands';
import { complianceReport } from '../../core/report';
import { formatInZone } from '../../core/compose';
import { parseWhen } from '../../core/when';
import type { ManagerRow } from '../../core/records';
import type { SlackDeps } from './app';
import type { SlackData } from './data';
import type { SlashAction } from './commands';
import { escapeMrkdwn } from './escape';
import { slaRows } from './reports';

/** `#N`, or the channel's latest open case. In a client's channel `#N` must be that client's: a typo there must
 * not resolve (and message) another client's case. */
export async function resolveCase(data: SlackData, channelId: string, n?: number): Promise<CaseRef | null> {
  if (!n) {
    const c = await data.latestOpenCaseInChannel(channelId);
    return c ? { id: c.id } : null;
  }
  const kase = await data.caseByNumber(n);
  if (!kase) return null;
  const client = await data.clientByChannel(channelId);
  return !client || client.id === kase.clientId ? { number: n } : null;
}

export async function runSlash(deps: SlackDeps, m: ManagerRow, a: SlashAction, ref: CaseRef | null, channelId: string): Promise<string> {
  const { core, data } = deps;
  const actor: Actor = { managerId: m.id };
  const now = core.clock.now();
  switch (a.kind) {
    case 'urgency': {
      const r = await commands.setUrgency(core, ref!, actor, a.level, 'set with /urgency');
      return `Urgency is now *${a.level}*.${r.dueAt ? ` Response due ${formatInZone(r.dueAt, m.timeZone)}.` : ''}`;
    }
    case 'eta': {
      const at = parseWhen(a.when, now, m.timeZone)!;
      const r = await commands.postEta(core, ref!, actor, at);
      // Posted: a failure to read the card back must not make the manager think it wasn't.
      const card = await data.caseByRef(ref!).then((c) => (c ? data.caseCard(c.id, now) : null)).catch(() => null);
      const clientZone = card?.contact?.timeZone;
      const vendor = formatInZone(r.dueAt, card?.zone ?? m.timeZone);
      return `ETA posted for ${card ? `#${card.view.number}` : 'the case'}: ${vendor}${clientZone && clientZone !== card?.zone ? ` · client: ${formatInZone(r.dueAt, clientZone)}` : ''}${m.timeZone !== card?.zone ? ` · you: ${formatInZone(r.dueAt, m.timeZone)}` : ''}.`;
    }
    case 'needinfo':
      await commands.askForDetails(core, ref!, actor, a.question);
      return 'Asked the client for details; the case waits on them and no clock runs.';
    case 'resolve':
      await commands.resolve(core, ref!, actor, a.summary);
      return 'Resolved; the client was told.';
    case 'escalate':
      await commands.escalate(core, ref!, actor, a.reason);
      return 'Escalated to the support lead.';
    case 'away': {
      const r = await commands.setManagerStatus(core, m.id, 'away');
      return `You are away. ${r.casesMoved} open case(s) moved to cover; new cases go to your backup.`;
    }
    case 'back': {
      const r = await commands.setManagerStatus(core, m.id, 'active');
      return `Welcome back. ${r.casesMoved} case(s) returned to you.`;
    }
    case 'cases': {
      const queue = await data.queueOf(m.id, now);
      if (!queue.length) return 'You have no open cases.';
      return queue.map((c) => `#${c.number} ${escapeMrkdwn(c.clientName)} · ${c.urgency} · ${c.status.replace(/_/g, ' ')} · SLA ${c.sla.state}${c.sla.dueAt ? ` (due ${formatInZone(new Date(c.sla.dueAt), m.timeZone)})` : ''}${c.eta ? ` · ETA ${formatInZone(new Date(c.eta), m.timeZone)}` : ''}`).join('\n');
    }
    case 'features': {
      const queue = await core.store.tx((tx) => tx.featureQueue());
      if (!queue.length) return 'The feature-request queue is empty.';
      return queue.map((f, i) => `${i + 1}. #${f.caseNumber} ${escapeMrkdwn(f.clientName)} (${f.tier}) · ${f.status} · ${escapeMrkdwn(f.text.slice(0, 120))}`).join('\n');
    }
    case 'sla': {
      const rows = await slaRows(data, a.client, now);
      if (rows === null) return `No client matches "${a.client}".`;
      const r = complianceReport(rows, now);
      const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);
      return [`SLA, last 30 days${a.client ? ` — ${a.client}` : ''}: ${pct(r.totals.compliance)} met (${r.totals.met} met, ${r.totals.breached} breached, ${r.totals.running} running)`,
        ...r.byUrgency.map((u) => `• ${u.name}: ${pct(u.compliance)} (${u.met}/${u.met + u.breached})`)].join('\n');
    }
    case 'link':
      return linkChannel(data, m, a.client, channelId);
  }
}

/**
 * `/link <client>` in a channel shared with the client (Slack Connect): the client's posts there become cases. Who
 * may: the client's own managers and those who stand in for anyone (on call, the default manager).
 */
async function linkChannel(data: SlackData, m: ManagerRow, name: string, channelId: string): Promise<string> {
  const client = await data.clientByName(name);
  if (!client) return `No client matches "${escapeMrkdwn(name)}".`;
  if (!m.onCall && !m.isDefault && !(await data.managersOf(client.id)).some((x) => x.id === m.id))
    return `Only the managers of ${escapeMrkdwn(client.name)} (or the on-call manager) can link a channel to it.`;
  const r = await data.linkSharedChannel(channelId, client.id);
  if (!r.ok) return `Not linked: ${escapeMrkdwn(r.why)}`;
  return `This channel is linked to *${escapeMrkdwn(r.clientName)}*: posts from their organisation here open cases, one per thread. Invite the app here if it isn't in the channel yet (\`/invite @Switchboard\`).`;
}
