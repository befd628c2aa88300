import { openTestDatabase } from '../support/db';
import { inappMessage, startTestService } from '../support/service';
test('probe', async () => {
  const db = await openTestDatabase();
  const down = await startTestService({ db });
  await db.close();
  const r1 = await down.inapp(inappMessage({ account: { id: 'x' } }));
  const r2 = await down.admin('GET', '/api/v1/cases');
  const r3 = await down.admin('GET', '/api/v1/clients');
  const r4 = await down.admin('POST', '/api/v1/cases/1/reply', {text: 'x'});
  console.log(r1.status, r2.status, r3.status, r4.status, down.log.text());
  try { await db.db.execute('select 1' as any); } catch (e: any) { console.log('ERR', e.constructor.name, e.message, e.code, e.cause && e.cause.message, e.cause && e.cause.code); }
  await down.close();
});
