// One pass of the SLA ticker. A cheap unlocked poll finds due clocks; each is then handled in its own transaction
// that locks the case and then the clock (the order commands use), fires at most one alert and queues it for the
// console with the clock's new state — so an alert is sent once or not at all, even with several instances.
// A clock that cannot be processed (say, its client's calendar cannot compute) is recorded and set aside with
// backoff: it would otherwise stay first in due order and hold back every other client's warnings and breaches.
import { ChangeSet } from '../changes';
import { formatInZone } from '../compose';
import type { Core } from '../context';
import type { JobObserver } from '../delivery';
import { notifyConsole } from '../effects';
import { describeError } from '../errors';
import type { ConsoleNotice } from '../ports';
import type { CaseAggregate, ClockRow } from '../records';
import { fireDue, type ClockAlert } from './clocks';

export const CLOCK_RETRY_MIN_MS = 5_000;
export const CLOCK_RETRY_MAX_MS = 5 * 60_000;

export async function tickSla(core: Core, limit = 200, observer: JobObserver = {}): Promise<number> {
  const due = await core.store.tx((tx) => tx.dueClocks(core.clock.now(), limit));
  let fired = 0;
  for (const d of due) {
    try {
      fired += await fire(core, d, observer);
    } catch (err) {
      observer.itemError?.('sla');
      await setAside(core, d, err);
    }
  }
  return fired;
}

async function fire(core: Core, d: { id: string; caseId: string }, observer: JobObserver): Promise<number> {
  const fired = await core.store.tx(async (tx) => {
    const now = core.clock.now();
    const clock = await tx.lockDueClock(d.caseId, d.id, now);
    if (!clock) return null;
    const agg = await tx.loadCase({ id: clock.caseId }, { lock: false });
    if (!agg) return null;
    const dueAt = clock.nextFireAt;
    const cs = new ChangeSet();
    const alert = fireDue(cs, clock, agg.calendar, now);
    if (alert?.type === 'eta_missed' && clock.etaId) {
      // A missed ETA no longer stands: the next client message starts a response clock, and a new ETA is due.
      cs.update('etas', clock.etaId, { state: 'missed', closedAt: now });
      cs.update('cases', clock.caseId, { etaAt: null, updatedAt: now });
    }
    if (alert) notifyConsole(cs, noticeFor(alert, clock, agg), now, core.delivery);
    await tx.apply(cs);
    return alert ? { type: alert.type, lagMs: dueAt ? now.getTime() - dueAt.getTime() : 0 } : null;
  });
  if (fired) observer.alert?.(fired.type, fired.lagMs);
  return fired ? 1 : 0;
}

/**
 * Retries space out while the failure lasts — the wait is about as long as it has been failing, so it roughly
 * doubles — from seconds (a passing database hiccup) up to a few minutes (data someone has to fix).
 */
export function clockRetryMs(failingForMs: number): number {
  const base = Math.min(CLOCK_RETRY_MAX_MS, Math.max(CLOCK_RETRY_MIN_MS, failingForMs));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

async function setAside(core: Core, d: { id: string; caseId: string }, err: unknown): Promise<void> {
  const reason = `could not be processed: ${describeError(err)}`;
  let retryAt: Date | null = null;
  try {
    retryAt = await core.store.tx(async (tx) => {
      const now = core.clock.now();
      // Null when a command holds the case: it is making progress there, and the next pass looks again.
      const clock = await tx.lockDueClock(d.caseId, d.id, now);
      if (!clock) return null;
      const failing = await tx.clockFailures(d.caseId, d.id);
      const at = new Date(now.getTime() + clockRetryMs(failing ? now.getTime() - failing.since.getTime() : 0));
      const cs = new ChangeSet();
      cs.update('slaClocks', clock.id, { nextFireAt: at });
      // On the case's timeline (as a clock event) once per distinct problem, not once per retry.
      if (failing?.lastReason !== reason)
        cs.insert('clockEvents', { clockId: clock.id, caseId: clock.caseId, at: now, type: 'failed', reason, data: { kind: clock.kind, retryAt: at.toISOString() } });
      await tx.apply(cs);
      return at;
    });
  } catch (again) {
    core.log.error({ clockId: d.id, caseId: d.caseId, err: describeError(again) }, 'could not set a failing SLA clock aside');
  }
  core.log.error({ clockId: d.id, caseId: d.caseId, retryAt: retryAt?.toISOString() ?? null, err: reason }, 'SLA clock could not be processed; set aside for a retry');
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
