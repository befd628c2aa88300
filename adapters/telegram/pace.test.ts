// Pacing on a clock the test moves: Telegram's flood limits are about real time, so the pacer takes an injected
// monotonic clock rather than core's.
import { Pacer, TELEGRAM_LIMITS } from './pace';

let t = 0;
const pacer = () => new Pacer(TELEGRAM_LIMITS, () => t);
beforeEach(() => (t = 1_000_000));

test('a private chat: a short burst goes at once, then about one message a second, waited in place', () => {
  const p = pacer();
  expect([1, 2, 3].map(() => p.reserve(42, false))).toEqual([{ ok: true, waitMs: 0 }, { ok: true, waitMs: 0 }, { ok: true, waitMs: 0 }]);
  expect(p.reserve(42, false)).toEqual({ ok: true, waitMs: 1000 });
  expect(p.reserve(42, false)).toEqual({ ok: true, waitMs: 2000 });
  // Beyond the longest in-place wait the message goes back to the outbox, and takes no slot.
  expect(p.reserve(42, false)).toEqual({ ok: false, retryAfterMs: 3000 });
  t += 3000;
  expect(p.reserve(42, false)).toEqual({ ok: true, waitMs: 0 });
  // Another chat is not affected.
  expect(p.reserve(43, false)).toEqual({ ok: true, waitMs: 0 });
});

test('a group: at most 20 messages a minute, however they are spread', () => {
  const p = pacer();
  for (let i = 0; i < 20; i++) {
    expect(p.reserve(-100, true).ok).toBe(true);
    t += 1000;
  }
  // 20 sent in the last 20 s: the 21st may go when the first leaves the minute, 40 s from now.
  expect(p.reserve(-100, true)).toEqual({ ok: false, retryAfterMs: 40_000 });
  t += 60_000;
  expect(p.reserve(-100, true)).toEqual({ ok: true, waitMs: 0 });
});

test('overall: about 30 messages a second across all chats', () => {
  const p = pacer();
  for (let chat = 1; chat <= 30; chat++) expect(p.reserve(chat, false)).toEqual({ ok: true, waitMs: 0 });
  const r = p.reserve(31, false);
  expect(r.ok && r.waitMs).toBe(34);
});

test('a 429 blocks the chat for its retry_after', () => {
  const p = pacer();
  p.block(42, 7000);
  expect(p.reserve(42, false)).toEqual({ ok: false, retryAfterMs: 7000 });
  t += 6000;
  expect(p.reserve(42, false)).toEqual({ ok: true, waitMs: 1000 });
});
