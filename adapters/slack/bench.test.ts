import { readSlackRequest } from '../../src/console/slack/inbound';
import { verifySlackSignature } from '../../src/http/slack';
import { slackBenchRequest } from './bench';

test('the benchmark request is a signed shared-channel post the Slack edge accepts, a new one each time', () => {
  const now = new Date('2026-11-23T08:00:00Z');
  const a = slackBenchRequest('Tracking is down', { signingSecret: 'bench-slack-signing-secret-0123', channel: 'C0BENCH', now });
  const b = slackBenchRequest('Tracking is down', { signingSecret: 'bench-slack-signing-secret-0123', channel: 'C0BENCH', now });
  expect(() => verifySlackSignature('bench-slack-signing-secret-0123', a.headers, a.body, now)).not.toThrow();
  expect(() => verifySlackSignature('another-secret-0123456789', a.headers, a.body, now)).toThrow();
  const r = readSlackRequest('events', a.body) as { kind: string; body: { event: { user_team: string; text: string } } };
  expect(r).toMatchObject({ kind: 'dispatch', body: { is_ext_shared_channel: true, event: { user_team: 'T0BENCHCLIENT', text: 'Tracking is down' } } });
  expect(JSON.parse(b.body).event_id).not.toBe(JSON.parse(a.body).event_id);
  expect(JSON.parse(b.body).event.ts).not.toBe(JSON.parse(a.body).event.ts);
});
