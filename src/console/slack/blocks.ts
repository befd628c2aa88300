// Block Kit for the case card (the thread root, updated in place), the App Home queue and the modals. Names and
// texts from clients are escaped in mrkdwn and in a message's top-level text; plain_text shows them as they are.
import { DateTime } from 'luxon';
import { URGENCIES } from '../../core/model';
import type { CaseCardData } from './data';
import { escapeMrkdwn as esc } from './escape';

type Block = Record<string, unknown>;

const URGENCY_ICON: Record<string, string> = {
  critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:',
  informational: ':information_source:', feature: ':bulb:',
};
const SLA_LABEL: Record<string, string> = { running: 'running', met: 'met', breached: 'BREACHED', paused: 'paused (waiting on client)', none: 'no clock' };

export function when(iso: string | null, zone: string): string {
  if (!iso) return '—';
  return DateTime.fromISO(iso, { zone }).toFormat('ccc d LLL, HH:mm') + ` (${zone})`;
}

/** "in 25 min" / "12 min ago": what a manager needs at a glance. */
export function timeLeft(iso: string | null, now: Date): string {
  if (!iso) return '';
  const min = Math.round((Date.parse(iso) - now.getTime()) / 60_000);
  const abs = Math.abs(min);
  const span = abs >= 120 ? `${Math.round(abs / 60)} h` : `${abs} min`;
  return min >= 0 ? `in ${span}` : `${span} overdue`;
}

export function caseCardText(d: NonNullable<CaseCardData>): string {
  return `Case #${d.view.number} · ${esc(d.client.name)} · ${d.view.urgency} · ${d.view.status}`;
}

export function caseCard(d: NonNullable<CaseCardData>, now: Date): Block[] {
  const v = d.view;
  const resolved = v.status === 'resolved';
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: `Case #${v.number} — ${d.client.name}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: `*${esc(truncate(v.subject || v.kind, 280))}*` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Urgency*\n${URGENCY_ICON[v.urgency] ?? ''} ${v.urgency}` },
        { type: 'mrkdwn', text: `*Status*\n${v.status.replace(/_/g, ' ')}` },
        { type: 'mrkdwn', text: `*SLA*\n${SLA_LABEL[v.sla.state] ?? v.sla.state}${v.sla.dueAt ? ` — due ${when(v.sla.dueAt, d.zone)}${v.sla.state === 'running' ? ` (${timeLeft(v.sla.dueAt, now)})` : ''}` : ''}` },
        { type: 'mrkdwn', text: `*ETA*\n${v.eta ? when(v.eta, d.zone) : '—'}` },
        { type: 'mrkdwn', text: `*Channel*\n${v.channel}${d.contact ? ` · ${esc(d.contact.name)}` : ''}` },
        { type: 'mrkdwn', text: `*Manager*\n${d.manager ? (d.manager.slackUserId ? `<@${d.manager.slackUserId}>` : esc(d.manager.name)) : 'unassigned'} · ${d.client.tier}` },
      ],
    },
  ];
  if (!resolved)
    blocks.push({
      type: 'actions',
      block_id: `case:${v.id}`,
      elements: [
        {
          type: 'static_select', action_id: 'set_urgency', placeholder: { type: 'plain_text', text: 'Set urgency' },
          options: URGENCIES.map((u) => ({ text: { type: 'plain_text', text: u }, value: `${v.id}:${u}` })),
        },
        { type: 'button', action_id: 'open_eta', text: { type: 'plain_text', text: 'Post ETA' }, value: v.id, style: 'primary' },
        { type: 'button', action_id: 'open_needinfo', text: { type: 'plain_text', text: 'Ask for details' }, value: v.id },
        { type: 'button', action_id: 'resolve', text: { type: 'plain_text', text: 'Resolve' }, value: v.id },
        { type: 'button', action_id: 'open_escalate', text: { type: 'plain_text', text: 'Escalate' }, value: v.id, style: 'danger' },
      ],
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Reply in this thread to answer the client · start with `note:` or `//` to keep it internal' }] });
  return blocks;
}

export function homeView(cases: { number: number; clientName: string; urgency: string; status: string; eta: string | null; sla: { state: string; dueAt: string | null } }[], zone: string, now: Date) {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Your open cases' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Ordered by SLA due time · updated ${when(now.toISOString(), zone)}` }] },
  ];
  if (!cases.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'Nothing open. :tada:' } });
  for (const c of cases.slice(0, 45)) {
    const sla = c.sla.dueAt && (c.sla.state === 'running' || c.sla.state === 'breached') ? `due ${when(c.sla.dueAt, zone)} — *${timeLeft(c.sla.dueAt, now)}*` : SLA_LABEL[c.sla.state] ?? c.sla.state;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `${URGENCY_ICON[c.urgency] ?? ''} *#${c.number}* ${esc(c.clientName)} · ${c.urgency} · ${c.status.replace(/_/g, ' ')}\nSLA: ${sla}${c.eta ? ` · ETA ${when(c.eta, zone)}` : ''}` },
    });
  }
  return { type: 'home', blocks };
}

const input = (blockId: string, label: string, placeholder: string, multiline = false) => ({
  type: 'input', block_id: blockId, label: { type: 'plain_text', text: label },
  element: { type: 'plain_text_input', action_id: 'value', multiline, placeholder: { type: 'plain_text', text: placeholder } },
});

export type ModalKind = 'eta' | 'needinfo' | 'escalate' | 'urgency';

export function modal(kind: ModalKind, caseId: string, number: number) {
  const titles = { eta: 'Post ETA', needinfo: 'Ask for details', escalate: 'Escalate', urgency: 'Set urgency' };
  const urgency = {
    type: 'input', block_id: 'urgency', label: { type: 'plain_text', text: 'Urgency' },
    element: { type: 'static_select', action_id: 'value', options: URGENCIES.map((u) => ({ text: { type: 'plain_text', text: u }, value: u })) },
  };
  const blocks =
    kind === 'eta'
      ? [input('when', 'When', '2h, 90m, tomorrow 15:00, fri 12:00'), { ...input('note', 'Note to the client', 'optional', true), optional: true }]
      : kind === 'needinfo'
        ? [input('question', 'Question for the client', 'What exactly do you see?', true)]
        : kind === 'urgency'
          ? [urgency]
          : [input('reason', 'Why', 'What needs the lead', true)];
  return {
    type: 'modal', callback_id: `modal_${kind}`, private_metadata: caseId,
    title: { type: 'plain_text', text: titles[kind] }, submit: { type: 'plain_text', text: 'Submit' }, close: { type: 'plain_text', text: 'Cancel' },
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Case #${number}` }] }, ...blocks],
  };
}

function truncate(t: string, n: number) {
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
