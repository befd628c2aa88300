// Waiting between attempts: the outbox's retries, and the receivers' reconnects (Telegram polling, IMAP, the lease
// loop). Plain timers, nothing platform-specific, so adapters and jobs share them.

/** Exponential backoff from `base`, capped at `max`, with ±20% jitter so instances that failed together spread out. */
export function backoffMs(attempt: number, base: number, max: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/** Resolves after `ms`, or at once when `signal` aborts (a stopping loop is not held up); never rejects. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
