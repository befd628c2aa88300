// The bench function the lead's benchmark calls works on the real ingest path (no mail server needed).
import { startTestService, type TestService } from '../../test/support/service';
import { BENCH_EMAIL_ENV, benchEmailIngest } from './bench';

describe('email ingest bench', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ env: BENCH_EMAIL_ENV });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  test('ingests N mails: new threads open cases, replies thread onto them', async () => {
    const r = await benchEmailIngest(t, { mails: 60, clients: 20 });
    expect(r.outcomes).toEqual({ stored: 60 });
    expect(r.perSecond).toBeGreaterThan(0);
    // Every new thread is a conversation (and a case) of its own; the 20 replies join the threads they answer.
    const cases = (await t.admin('GET', '/api/v1/cases?status=open')).json.cases.filter((c: { channel: string }) => c.channel === 'email');
    expect(cases).toHaveLength(40);
  }, 30_000);
});
