// Stopping the background jobs (SIGTERM) finishes what the outbox drainer has started — including a claim a lane
// was making as its previous send finished: its rows are sent before stop() returns, never left leased with their
// sends cut off by the exit (another instance would send them again 15 s later).
import type { StoreTx } from '../../src/core/ports';
import { inappMessage, startTestService } from '../support/service';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, ok: () => boolean, ms: number) {
  for (const until = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test('stop() waits for a claim under way and the sends it starts: nothing left leased or in flight', async () => {
  // One send in flight per lane: the second acknowledgement is claimed only when the first one's send finishes.
  const t = await startTestService({ jobs: { pollMs: 20, tickMs: 1000, batch: 1 } });
  // Holds the in-app lane's next claim at a gate, so the stop comes while that claim is under way.
  let gate: Promise<void> | null = null;
  let open = () => {};
  let gated = 0;
  const tx = t.core.store.tx.bind(t.core.store);
  t.core.store.tx = <T>(fn: (x: StoreTx) => Promise<T>) =>
    tx((x) => {
      const claim = x.claimOutbox.bind(x);
      x.claimOutbox = async (...a) => {
        const lane = a[3];
        if (gate && lane && 'channels' in lane && lane.channels.includes('inapp')) {
          gated++;
          await gate;
        }
        return claim(...a);
      };
      return fn(x);
    });
  try {
    t.callback.respondWith({ status: 200, holdMs: 200 }, { status: 200, holdMs: 200 });
    for (const a of ['acct-stop-1', 'acct-stop-2']) expect((await t.inapp(inappMessage({ account: { id: a }, user: { id: `${a}-u` } }))).status).toBe(200);
    await t.startBackground();
    await waitFor('the first acknowledgement in flight', () => t.callback.held.length === 1, 2000);
    gate = new Promise((r) => (open = r));
    await waitFor('the lane refilling as that send finishes', () => gated === 1, 2000);

    let stopped = false;
    const stopping = t.stopBackground().then(() => (stopped = true));
    await sleep(100);
    expect(stopped).toBe(false);
    open();
    await stopping;
    // Both acknowledgements were answered before stop() returned, and no row is left claimed.
    expect(t.callback.received.map((r) => r.body.account.id).sort()).toEqual(['acct-stop-1', 'acct-stop-2']);
    const leased = (await t.db.db.execute(`SELECT id FROM outbox WHERE status = 'sending'` as never)) as unknown as { rows: unknown[] };
    expect(leased.rows).toEqual([]);
  } finally {
    open();
    await t.close();
  }
});
