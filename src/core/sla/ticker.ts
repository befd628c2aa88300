// One pass of the SLA ticker. A cheap unlocked poll finds due clocks; each is then handled in its own transaction
// that locks the case and then the clock (the order commands use), fires at most one alert and queues it for the
// console with the clock's new state — so an alert is sent once or not at all, even with several instances.
import { ChangeSet } from '../changes';
import { formatInZone } from '../compose';
import type { Core } from '../context';
import { notifyConsole } from '../effects';
import type { ConsoleNotice } from '../ports';
import type { CaseAggregate, ClockRow } from '../records';
import { fireDue, type ClockAlert } from './clocks';

export async function tickSla(core: Core, limit = 200): Promise<number> {
  const due = await core.store.tx((tx) => tx.dueClocks(core.clock.now(), limit));
  let fired = 0;
  for (const d of due) {
    fired += await core.store.tx(async (tx) => {
      const now = core.clock.now();
      const clock = await tx.lockDueClock(d.caseId, d.id, now);
      if (!clock) return 0;
      const agg = await tx.loadCase({ id: clock.caseId }, { lock: false });
      if (!agg) return 0;
      const cs = new ChangeSet();
      const alert = fireDue(cs, clock, agg.calendar, now);
      if (alert?.type === 'eta_missed' && clock.etaId) {
        // A missed ETA no longer stands: the next client message starts a response clock, and a new ETA is due.
        cs.update('etas', clock.etaId, { state: 'missed', closedAt: now });
        cs.update('cases', clock.caseId, { etaAt: null, updatedAt: now });
      }
      if (alert) notifyConsole(cs, noticeFor(alert, clock, agg), now, core.delivery);
      await tx.apply(cs);
      return alert ? 1 : 0;
    });
  }
  return fired;
}

function noticeFor(alert: ClockAlert, clock: ClockRow, agg: CaseAggregate): ConsoleNotice {
  const c = agg.case;
  const label = `case #${c.number} (${agg.client.name}, ${c.urgency})`;
  const due = formatInZone(clock.dueAt, agg.calendar.zone);
  const manager = c.managerId ? [c.managerId] : [];
  const base = { caseId: c.id, caseNumber: c.number };
  switch (alert.type) {
    case 'sla_warning':
      return { ...base, type: 'sla_warning', toLead: false, managerIds: manager, text: `SLA warning: ${label} has used ${Math.round(alert.fraction * 100)}% of its response time; respond by ${due}.` };
    case 'sla_breach':
      return {
        ...base, type: 'sla_breach', toLead: true,
        managerIds: [...new Set([...manager, ...(agg.client.backupManagerId ? [agg.client.backupManagerId] : [])])],
        text: `SLA breached: ${label} had no response by ${due}.`,
      };
    case 'eta_missed':
      return { ...base, type: 'eta_missed', toLead: true, managerIds: manager, text: `ETA missed: ${label} was promised by ${due}; post a new ETA.` };
    case 'milestone_missed':
      return { ...base, type: 'milestone_missed', toLead: false, managerIds: manager, text: `Milestone missed: ${label} had a milestone due ${due}.` };
  }
}
