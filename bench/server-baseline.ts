// The baseline: bare fastify + pg doing a 3-statement transaction per request (insert a row, insert a second
// row, update a counter) with the same pool size — the floor any webhook that stores durably pays.
import Fastify from 'fastify';
import { Pool } from 'pg';

async function main() {
  const pool = new Pool({ connectionString: process.env.BENCH_DB_URL, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS baseline_deliveries (id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE IF NOT EXISTS baseline_messages (id bigserial PRIMARY KEY, delivery_id text NOT NULL, body jsonb NOT NULL);
    CREATE TABLE IF NOT EXISTS baseline_counters (account text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);`);
  const app = Fastify({ logger: false });
  app.post('/webhooks/baseline', async (req) => {
    const body = req.body as { id: string; account: { id: string } };
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('INSERT INTO baseline_deliveries (id) VALUES ($1)', [body.id]);
      await c.query('INSERT INTO baseline_messages (delivery_id, body) VALUES ($1, $2)', [body.id, body]);
      await c.query('INSERT INTO baseline_counters (account, n) VALUES ($1, 1) ON CONFLICT (account) DO UPDATE SET n = baseline_counters.n + 1', [body.account.id]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK');
      throw err;
    } finally {
      c.release();
    }
    return { status: 'stored' };
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.send?.('ready');
  process.on('SIGTERM', async () => {
    await app.close();
    await pool.end();
    process.exit(0);
  });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
