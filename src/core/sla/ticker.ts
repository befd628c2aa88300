// One pass of the SLA ticker: claims due clocks (skipped by other instances while locked), fires at most one alert
// per clock, and queues it for the console in the same transaction, so an alert is sent once or not at all.
import { ChangeSet } from '../changes';
import { formatInZone } from '../compose';
import type { Core } from '../context';
import { notifyConsole } from '../effects';
import type { ConsoleNotice } from '../ports';
import type { CaseAggregate, ClockRow } from '../records';
import { fireDue, type ClockAlert } from './clocks';

export async function tickSla(core: Core, limit = 200): Promise<number> {
  return core.store.tx(async (tx) => {
    const now = core.clock.now();
    const clocks = await tx.claimDueClocks(now, limit);
    if (!clocks.length) return 0;
    const cs = new ChangeSet();
    let fired = 0;
    for (const clock of clocks) {
      // Not locking the case: commands lock case then clock, and taking them in the other order here could deadlock.
      const agg = await tx.loadCase({ id: clock.caseId }, { lock: false });
      if (!agg) continue;
      const alert = fireDue(cs, clock, agg.calendar, now);
      if (!alert) continue;
      fired++;
      notifyConsole(cs, noticeFor(alert, clock, agg), now, core.delivery);
    }
    await tx.apply(cs);
    return fired;
  });
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
