// Long polling against the fake: nothing lost and nothing repeated across a restart, a failing store retried, and
// the loop stopping when its lease ends.
import { FakeTelegram, refusals } from '../../test/support/fake-telegram';
import type { ChannelState } from '../../src/channels/module';
import type { Logger } from '../../src/core/ports';
import { createBot } from './bot';
import { telegramSchema } from './config';
import { messageUpdate, textMessage, updateId } from './fixtures';
import { MemoryState } from './fixtures/deps';
import { createPoller, OFFSET_KEY } from './poller';
import type { TgUpdate } from './update';


const logged: { level: string; msg?: string; obj: any }[] = [];
const log: Logger = {
  debug: (obj, msg) => logged.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};
const ann = { id: 511223344, is_bot: false, first_name: 'Ann' };
let fake: FakeTelegram;
let api: ReturnType<typeof createBot>['api'];

beforeAll(async () => {
  fake = await new FakeTelegram().start();
  api = createBot(telegramSchema.parse({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: 'secret-0123456789abcdef', TELEGRAM_API_ROOT: fake.url }), log).api;
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  logged.length = 0;
});

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a poller until `cond`, then stops it the way a lost lease does; resolves when it has stopped. */
async function poll(state: ChannelState, handle: (u: TgUpdate) => Promise<unknown>, cond: () => boolean) {
  const ac = new AbortController();
  const running = createPoller({ api, state, handle, log, timeoutSeconds: 1, backoffMs: 10, maxBackoffMs: 50 }).run(ac.signal);
  try {
    await until(cond);
  } finally {
    ac.abort();
    await running;
  }
}

test('a restart resumes after the last update core took: nothing repeated, nothing lost', async () => {
  const state = new MemoryState();
  fake.webhook = { url: 'https://old-deployment.example/webhooks/telegram' };
  const a = messageUpdate(textMessage(ann, 'one'));
  const b = messageUpdate(textMessage(ann, 'two'));
  fake.pushUpdates(a, b);
  const seen: number[] = [];
  const first = new AbortController();
  await createPoller({
    api, state, log, timeoutSeconds: 1,
    handle: async (u) => {
      seen.push(u.update_id);
      // The lease is lost as core takes b: no later getUpdates confirms the batch to Telegram.
      if (u.update_id === b.update_id) first.abort();
    },
  }).run(first.signal);
  // Polling can't run while a webhook is set, so the poller removed it first.
  expect(fake.webhook).toBeNull();
  expect(seen).toEqual([a.update_id, b.update_id]);
  expect(await state.get(OFFSET_KEY)).toBe(b.update_id + 1);
  expect(fake.pending()).toEqual([a, b]);

  // Telegram still holds both (they came in one batch); the next poller must not hand them to core again.
  const c = messageUpdate(textMessage(ann, 'three'));
  fake.pushUpdates(c);
  const after: number[] = [];
  await poll(state, async (u) => void after.push(u.update_id), () => after.length === 1);
  expect(after).toEqual([c.update_id]);
});

test('an update core could not store (database down) is fetched again, and the ones after it wait for it', async () => {
  const state = new MemoryState();
  const a = messageUpdate(textMessage(ann, 'one'));
  const b = messageUpdate(textMessage(ann, 'two'));
  fake.pushUpdates(a, b);
  let down = 2;
  const stored: number[] = [];
  await poll(state, async (u) => {
    if (u.update_id === a.update_id && down-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    stored.push(u.update_id);
  }, () => stored.length === 2);
  expect(stored).toEqual([a.update_id, b.update_id]);
  expect(logged.filter((l) => l.msg?.includes('could not be stored'))).toHaveLength(2);
});

test('an update we cannot read is skipped and logged, not retried forever', async () => {
  const state = new MemoryState();
  const bad = { update_id: updateId(), message: { message_id: 'x' } };
  const good = messageUpdate(textMessage(ann, 'fine'));
  fake.pushUpdates(bad, good);
  const stored: number[] = [];
  await poll(state, async (u) => void stored.push(u.update_id), () => stored.length === 1);
  expect(stored).toEqual([good.update_id]);
  expect(logged).toContainEqual({ level: 'warn', msg: 'telegram: skipped an update we cannot read', obj: expect.objectContaining({ updateId: bad.update_id }) });
});

test('409 (another poller, or a webhook set meanwhile) and 429 are waited out and logged with what to check', async () => {
  const state = new MemoryState();
  // Only this test's poller (offset 0: nothing stored yet) gets them; the previous test's last long poll, cut when its
  // poller stopped, can still reach the fake after this test has begun.
  const ours = (args: Record<string, any>) => Number(args.offset ?? 0) === 0;
  fake.script('getUpdates', { status: 409, body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' }, when: ours });
  fake.script('getUpdates', { ...refusals.tooManyRequests(0), when: ours });
  const u = messageUpdate(textMessage(ann, 'after the conflict'));
  fake.pushUpdates(u);
  const stored: number[] = [];
  await poll(state, async (x) => void stored.push(x.update_id), () => stored.length === 1);
  expect(logged.find((l) => /409/.test(l.obj.err ?? ''))?.obj.hint).toMatch(/only without PUBLIC_URL, on one instance/);
});

test('losing the lease stops a long poll at once', async () => {
  const state = new MemoryState();
  const ac = new AbortController();
  const running = createPoller({ api, state, handle: async () => undefined, log, timeoutSeconds: 30 }).run(ac.signal);
  await fake.waitFor('getUpdates');
  const started = Date.now();
  ac.abort();
  await running;
  expect(Date.now() - started).toBeLessThan(1000);
});
