import { ChannelPacer } from './pace';

test('a channel takes a short burst, then one post a second; a long wait goes back to the outbox', () => {
  let now = 0;
  const p = new ChannelPacer({ burst: 3, perSecond: 1, maxWaitMs: 2000 }, () => now);
  expect([p.reserve('C1'), p.reserve('C1'), p.reserve('C1')]).toEqual([{ ok: true, waitMs: 0 }, { ok: true, waitMs: 0 }, { ok: true, waitMs: 0 }]);
  expect(p.reserve('C1')).toEqual({ ok: true, waitMs: 1000 });
  expect(p.reserve('C1')).toEqual({ ok: true, waitMs: 2000 });
  expect(p.reserve('C1')).toEqual({ ok: false, retryAfterMs: 3000 });
  // Other channels are not held up.
  expect(p.reserve('C2')).toEqual({ ok: true, waitMs: 0 });
  now += 5000;
  expect(p.reserve('C1')).toEqual({ ok: true, waitMs: 0 });
});
