// Slack waits 3 seconds for the answer to a command or an interaction, and never sends either again. So the work runs
// first and its outcome is the answer; work still running after ACK_DEADLINE_MS is acknowledged as under way and
// its outcome follows by another route (response_url, or a DM when that fails).
export type Outcome<T> = { ok: true; value: T } | { ok: false; err: unknown };

/** Leaves time for the HTTP answer itself inside Slack's 3 seconds. */
export const ACK_DEADLINE_MS = 2000;

export function settle<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  return Promise.resolve()
    .then(work)
    .then(
      (value): Outcome<T> => ({ ok: true, value }),
      (err: unknown): Outcome<T> => ({ ok: false, err }),
    );
}

/** The outcome if it arrives within `ms`; null when it is still running (it goes on). */
export async function inTime<T>(outcome: Promise<Outcome<T>>, ms = ACK_DEADLINE_MS): Promise<Outcome<T> | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([outcome, late]);
  } finally {
    clearTimeout(timer);
  }
}
