// A manager answers hours later, after the service restarted: nothing of the Teams conversation was kept in memory,
// so the reply can only reach it through the conversation reference stored with the case. The manager works in Slack
// (fake Web API); the client is in Teams (fake Bot Connector and login host).
import { randomUUID } from 'node:crypto';
import { startFakeBotFramework, type FakeBotFramework } from '../../test/support/fake-botframework';
import { FakeSlack } from '../../test/support/fake-slack';
import { openTestDatabase, type TestDatabase } from '../../test/support/db';
import { SLACK_SIGNING_SECRET, startTestService, type TestService } from '../../test/support/service';
import { slackHeaders } from '../../test/support/slack-signing';
import { loadFixture } from './fixtures';
import { decodeActivity } from './harness';

const APP_ID = randomUUID();
const TENANT = randomUUID();
const PERSONAL = 'a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-';
const FILE_URL = 'https://contoso.sharepoint.com/personal/megan_contoso_com/Documents/Microsoft%20Teams%20Chat%20Files/conversions-export.csv';

let db: TestDatabase;
let fake: FakeBotFramework;
let slack: FakeSlack;
const running: TestService[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  fake = await startFakeBotFramework({ appId: APP_ID });
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  for (const s of running) await s.close().catch(() => undefined);
  await slack?.stop();
  await fake?.close();
  await db?.close();
});

async function start(): Promise<TestService> {
  const s = await startTestService({
    db,
    slack: { apiUrl: slack.url },
    env: {
      ...fake.env(APP_ID, 'bot-secret'),
    },
  });
  running.push(s);
  return s;
}

test("the manager's Slack reply reaches the Teams conversation after a restart, with the bot's bearer token", async () => {
  // ---- before the restart: a Teams message with a file opens a case --------------------------------------------
  const first = await start();
  const maria = (await first.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', slackUserId: 'UMARIA' })).json.id;
  const acme = (await first.admin('POST', '/api/v1/clients', { name: 'Acme Ltd', tier: 'premium', managerId: maria })).json.id;
  await first.admin('POST', `/api/v1/clients/${acme}/links`, { channel: 'botframework', key: TENANT });
  const res = await first.app.inject({
    method: 'POST', url: '/webhooks/botframework',
    payload: JSON.stringify(loadFixture('teams-file-message', { serviceUrl: fake.serviceUrl, appId: APP_ID, tenantId: TENANT })),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.token()}` },
  });
  expect(res.statusCode).toBe(200);
  const number = JSON.parse(res.body).case.number as number;
  await first.drain();
  expect(fake.activities.filter((a) => a.conversationId === PERSONAL)).toHaveLength(1);

  // The case thread in Slack shows the client's file as a link.
  const clientPost = slack.callsOf('chat.postMessage').find((c) => String(c.args.text).includes('Here is the export that shows the gap'));
  expect(clientPost?.args.text).toContain(`<${FILE_URL}|conversions-export.csv>`);
  const kase = (await first.admin('GET', `/api/v1/cases/${number}`)).json;
  expect(kase.messages[0].attachments).toEqual([{ name: 'conversions-export.csv', url: FILE_URL, mimeType: 'text/csv' }]);

  await first.close();
  fake.reset();

  // ---- after the restart: hours later, Maria answers in the case thread ----------------------------------------
  const second = await start();
  second.clock.set('2026-11-23T14:00:00Z');
  const event = JSON.stringify({
    token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: `Ev${randomUUID()}`, event_time: Math.floor(second.clock.now().getTime() / 1000),
    event: { type: 'message', channel: clientPost!.args.channel, channel_type: 'group', user: 'UMARIA', text: 'Found it: the export skipped _UTC_ rows. Fixed.', ts: '1796000000.000100', thread_ts: clientPost!.args.thread_ts },
  });
  const posted = await second.app.inject({
    method: 'POST', url: '/webhooks/slack/events', payload: event,
    headers: { 'content-type': 'application/json', ...slackHeaders(SLACK_SIGNING_SECRET, event, second.clock.now()) },
  });
  expect(posted.statusCode).toBe(200);
  await second.drain();

  const delivered = fake.activities.filter((a) => a.conversationId === PERSONAL);
  expect(delivered).toHaveLength(1);
  expect(delivered[0].authorization).toMatch(/^Bearer fake-bot-token-\d+$/);
  expect(delivered[0].body).toMatchObject({ serviceUrl: fake.serviceUrl, conversation: { id: PERSONAL, tenantId: TENANT }, channelData: { tenant: { id: TENANT } } });
  expect(decodeActivity(delivered[0].body)).toEqual({ author: 'Maria Petrova', text: 'Found it: the export skipped _UTC_ rows. Fixed.', choices: [] });

  // The admin API takes the same road.
  expect((await second.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'Re-run the export when convenient.', managerId: maria })).status).toBe(200);
  await second.drain();
  expect(decodeActivity(fake.activities.filter((a) => a.conversationId === PERSONAL).at(-1)!.body).text).toBe('Re-run the export when convenient.');
});
