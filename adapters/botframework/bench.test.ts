// The benchmark's requests are what the service takes from Teams: signed, stored, one case per conversation.
import { startTestService, type TestService } from '../../test/support/service';
import { startBotFrameworkBench, type BotFrameworkBench } from './bench';

let bf: BotFrameworkBench;
let t: TestService;
beforeAll(async () => {
  bf = await startBotFrameworkBench({ conversations: 3 });
  t = await startTestService({ env: bf.env });
});
afterAll(async () => {
  await t?.close();
  await bf?.close();
});

test('signed bench requests open a case per conversation and add to it after that', async () => {
  const send = async (conversation: number) => {
    const r = bf.request('The dashboard numbers look wrong since this morning', { conversation });
    const res = await t.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
    return JSON.parse(res.body);
  };
  expect(await send(0)).toMatchObject({ status: 'stored', case: { opened: true } });
  const again = await send(0);
  expect(again).toMatchObject({ status: 'stored', case: { opened: false } });
  expect(await send(1)).toMatchObject({ status: 'stored', case: { opened: true } });
  const r = bf.request('x');
  expect((await t.app.inject({ method: 'POST', url: r.path, headers: { ...r.headers, authorization: 'Bearer x.y.z' }, payload: r.body })).statusCode).toBe(401);
});
