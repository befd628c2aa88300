// Email's ingest rate: mails through the receiver's own path (parse, loop signals, thread lookup, core ingest) on
// PostgreSQL, without IMAP — the mailbox side is bounded by the IMAP server, this is what the service itself costs.
import pino from 'pino';
import { BENCH_EMAIL_ENV, benchEmailIngest } from '../adapters/email/bench';
import { migrate, openPostgres } from '../src/db/connect';
import { createService } from '../src/services';
import { dropDatabase, freshDatabase } from './lib';

export async function benchEmail(mails = Number(process.env.BENCH_EMAIL_MAILS ?? 1000)) {
  const rate = async (concurrency: number) => {
    const url = await freshDatabase('sb_bench_email');
    const database = await openPostgres(url, { max: 10 });
    await migrate(database);
    const svc = await createService({ database, log: pino({ level: 'warn' }), adminToken: 'bench-admin-token-0123456789', channelEnv: BENCH_EMAIL_ENV });
    await benchEmailIngest(svc, { mails: 100, concurrency }); // warm-up
    const r = await benchEmailIngest(svc, { mails, concurrency });
    await svc.stopBackground();
    await svc.closeChannels();
    await database.close();
    await dropDatabase('sb_bench_email');
    return r.perSecond;
  };
  return { mails, serial: await rate(1), parallel: await rate(4) };
}
