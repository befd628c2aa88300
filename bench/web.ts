// Front-end numbers for npm run bench: the SLA board's first paint in Chromium on a seeded database, and the chat
// widget's weight (what a vendor's page downloads: GET /widget.js, served gzip-compressed; budget 30 KB).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { chromium, type BrowserContext } from 'playwright-core';
import { widgetScript } from '../adapters/inapp/widget/client/serve';
import { migrate, openPostgres, type Db } from '../src/db/connect';
import { createService, type Service } from '../src/services';
import { dropDatabase, freshDatabase, pct } from './lib';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function seedBoard(db: Db, openCases: number, historyClocks: number): Promise<void> {
  await db.execute(sql`INSERT INTO managers (id, name, status, on_call)
    SELECT gen_random_uuid(), 'Manager ' || g, CASE WHEN g <= 2 THEN 'away' ELSE 'active' END, g = 3 FROM generate_series(1, 12) g`);
  await db.execute(sql`INSERT INTO clients (id, name, tier, manager_id)
    SELECT gen_random_uuid(), 'Client ' || g, CASE WHEN g % 4 = 0 THEN 'standard' ELSE 'premium' END,
      (SELECT id FROM managers ORDER BY name OFFSET (g % 12) LIMIT 1) FROM generate_series(1, 60) g`);
  await db.execute(sql`INSERT INTO cases (id, number, client_id, manager_id, status, urgency, urgency_source, channel, conversation_key, address, subject, opened_at, updated_at, eta_at)
    SELECT gen_random_uuid(), nextval('case_number_seq'), c.id, c.manager_id, CASE WHEN g % 9 = 0 THEN 'waiting_on_client' ELSE 'open' END,
      (ARRAY['critical','high','medium','low','informational'])[1 + g % 5], 'classifier', 'inapp', 'inapp:bench-open-' || g, '{}'::jsonb,
      'Open case ' || g || ': conversions are not showing in the dashboard', now() - (g % 90) * interval '1 minute', now(),
      CASE WHEN g % 7 = 0 THEN now() + (g % 300) * interval '1 minute' END
    FROM generate_series(1, ${openCases}) g JOIN LATERAL (SELECT id, manager_id FROM clients ORDER BY name OFFSET (g % 60) LIMIT 1) c ON true`);
  await db.execute(sql`INSERT INTO sla_clocks (id, case_id, kind, urgency, hours, target_minutes, started_at, due_at, state, stopped_at, warn_at, warned, next_fire_at)
    SELECT gen_random_uuid(), id, 'response', urgency, 'business', 60, opened_at, opened_at + interval '60 minutes',
      CASE WHEN eta_at IS NOT NULL THEN 'met' ELSE 'running' END, CASE WHEN eta_at IS NOT NULL THEN opened_at + interval '10 minutes' END,
      '[0.5,0.8]'::jsonb, CASE WHEN number % 3 = 0 THEN '[0.5]'::jsonb ELSE '[]'::jsonb END, opened_at + interval '60 minutes'
    FROM cases WHERE status <> 'resolved'`);
  await db.execute(sql`INSERT INTO sla_clocks (id, case_id, kind, urgency, hours, target_minutes, started_at, due_at, state, next_fire_at)
    SELECT gen_random_uuid(), id, 'eta', urgency, '24x7', 120, opened_at + interval '10 minutes', eta_at, 'running', eta_at FROM cases WHERE eta_at IS NOT NULL`);
  await db.execute(sql`INSERT INTO cases (id, number, client_id, manager_id, status, urgency, urgency_source, channel, conversation_key, address, opened_at, updated_at, resolved_at)
    SELECT gen_random_uuid(), nextval('case_number_seq'), c.id, c.manager_id, 'resolved', (ARRAY['critical','high','medium','low','informational'])[1 + g % 5],
      'classifier', 'inapp', 'inapp:bench-old-' || g, '{}'::jsonb, now() - (g % 56) * interval '1 day' - (g % 600) * interval '1 minute', now(), now()
    FROM generate_series(1, ${historyClocks}) g JOIN LATERAL (SELECT id, manager_id FROM clients ORDER BY name OFFSET (g % 60) LIMIT 1) c ON true`);
  await db.execute(sql`INSERT INTO sla_clocks (id, case_id, kind, urgency, hours, target_minutes, started_at, due_at, state, stopped_at, breached_at, warn_at)
    SELECT gen_random_uuid(), id, 'response', urgency, 'business', 60, opened_at, opened_at + interval '60 minutes',
      CASE WHEN number % 5 = 0 THEN 'breached' ELSE 'met' END, opened_at + (number % 97) * interval '1 minute',
      CASE WHEN number % 5 = 0 THEN opened_at + interval '60 minutes' END, '[0.5,0.8]'::jsonb
    FROM cases WHERE status = 'resolved'`);
  await db.execute(sql`ANALYZE`);
}

const TIMINGS = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const at = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : NaN; };
  return { firstByte: nav.responseStart, firstPaint: at('first-paint'), firstContentfulPaint: at('first-contentful-paint'),
    boardRendered: at('board-rendered'), chartsDrawn: at('board-charts'), htmlBytes: nav.decodedBodySize };
})()`;

export interface BoardTimings {
  firstByte: number;
  firstPaint: number;
  firstContentfulPaint: number;
  boardRendered: number;
  chartsDrawn: number;
  htmlBytes: number;
}

export interface BoardFirstPaint {
  openCases: number;
  historyClocks: number;
  cold: BoardTimings;
  warm: BoardTimings;
}

export async function boardFirstPaint(opts: { openCases?: number; historyClocks?: number; loads?: number } = {}): Promise<BoardFirstPaint | null> {
  if (!fs.existsSync(CHROMIUM)) return null;
  const openCases = opts.openCases ?? 300;
  const historyClocks = opts.historyClocks ?? 6000;
  const name = 'sb_bench_board';
  const database = await openPostgres(await freshDatabase(name), { max: 4 });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-chromium-'));
  const token = 'bench-admin-token-0123456789';
  let svc: Service | null = null;
  let context: BrowserContext | null = null;
  try {
    await migrate(database);
    await seedBoard(database.db, openCases, historyClocks);
    svc = await createService({ database, log: pino({ level: 'silent' }), adminToken: token });
    const base = (await svc.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    const signIn = await context.request.post(`${base}/board/login`, { form: { token }, maxRedirects: 0 });
    if (!signIn.ok()) throw new Error(`board sign-in: ${signIn.status()}`);
    const runs: BoardTimings[] = [];
    for (let i = 0; i < (opts.loads ?? 6); i++) {
      const page = await context.newPage();
      await page.goto(`${base}/board`);
      await page.waitForFunction(() => performance.getEntriesByName('board-charts').length > 0, undefined, { timeout: 30_000 });
      runs.push(await page.evaluate(TIMINGS));
      await page.close();
    }
    const [cold, ...rest] = runs;
    const median = (k: keyof BoardTimings) => pct(rest.map((r) => r[k]), 50);
    const warm = Object.fromEntries(Object.keys(cold).map((k) => [k, median(k as keyof BoardTimings)])) as unknown as BoardTimings;
    return { openCases, historyClocks, cold, warm };
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    if (svc) await svc.app.close();
    await database.close();
    await dropDatabase(name);
  }
}

export function formatBoardFirstPaint(r: BoardFirstPaint | null): string {
  if (!r) return `SLA board first paint: skipped (${CHROMIUM} is missing; apt-get install -y chromium)`;
  const ms = (v: number) => `${Math.round(v)} ms`;
  const line = (t: BoardTimings) =>
    `first contentful paint ${ms(t.firstContentfulPaint)}, table ${ms(t.boardRendered)}, charts ${ms(t.chartsDrawn)} (first byte ${ms(t.firstByte)}, HTML ${Math.round(t.htmlBytes / 1024)} KiB)`;
  return `SLA board (${r.openCases} open cases, ${r.historyClocks} response clocks in 8 weeks), chromium, same machine:
  cold: ${line(r.cold)}
  warm: ${line(r.warm)}`;
}

// ---- the chat widget ---------------------------------------------------------------------------------------------

export const WIDGET_BUDGET_GZIP_BYTES = 30 * 1024;

/** The widget script as served: its size, and gzip-compressed (what a browser downloads). */
export function widgetSize(): { bytes: number; gzipBytes: number; budgetGzipBytes: number } {
  const s = widgetScript();
  return { bytes: s.source.length, gzipBytes: s.gzip.length, budgetGzipBytes: WIDGET_BUDGET_GZIP_BYTES };
}

export function formatWidgetSize(s = widgetSize()): string {
  return `chat widget (GET /widget.js): ${(s.gzipBytes / 1024).toFixed(1)} KiB gzipped (${(s.bytes / 1024).toFixed(1)} KiB uncompressed; budget ${s.budgetGzipBytes / 1024} KiB)`;
}
