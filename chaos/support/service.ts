// The service as `npm start` runs it (`tsx src/main.ts`), as a real process a case can kill. tsx runs the service in
// a child node process, so each service gets a process group of its own: SIGKILL goes to the whole group (killing
// only tsx would leave the service running). SIGTERM goes to the service's node process, as in production (the
// image runs node as PID 1): tsx's own relay gives the service 2 × 30 ms to acknowledge a SIGTERM sent to tsx and
// then SIGKILLs it, which under load it often misses (exit 143, sends cut off) — not the shutdown under test.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
export const ADMIN_TOKEN = 'chaos-admin-token-0123456789';
export const INAPP_SECRET = 'chaos-inapp-secret-0123456789';
/** Set on a service's connections (with its name), so a case can tell when a killed instance's backends are gone. */
export const APP_NAME = 'sb-chaos';

const started = new Set<ServiceProcess>();

export interface LogLine {
  level: number;
  msg?: string;
  [k: string]: unknown;
}

export class ServiceProcess {
  readonly lines: LogLine[] = [];
  /** Non-JSON output (the banner, warnings) and stderr, for failure messages. */
  text = '';
  url = '';
  readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  exitedAt = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.exitCode = code;
      this.exitedAt = Date.now();
      resolve(code);
    }));
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const l of parts) {
        if (l.startsWith('{')) {
          try {
            this.lines.push(JSON.parse(l));
            continue;
          } catch {
            // fall through: kept as text
          }
        }
        this.text += `${l}\n`;
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.text += d.toString('utf8')));
  }

  get appName(): string {
    return `${APP_NAME}-${this.name}`;
  }

  get alive(): boolean {
    return this.exitCode === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `console notice` lines LogConsole wrote (type and case number only: texts stay out of info logs). */
  notices(): { notice: string; caseNumber: number | null; at: number }[] {
    return this.lines
      .filter((l) => l.msg === 'console notice')
      .map((l) => ({ notice: String(l.notice), caseNumber: (l.caseNumber as number | null) ?? null, at: Number(l.time) }));
  }

  errors(): LogLine[] {
    return this.lines.filter((l) => l.level >= 50);
  }

  /** kill -9 of the service and its tsx parent; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }

  /** SIGTERM to the service's node process; resolves with the exit code (tsx passes it on) and how long it took. */
  async term(): Promise<{ code: number | null; ms: number }> {
    const tsx = this.child.pid!;
    const service = Number(fs.readFileSync(`/proc/${tsx}/task/${tsx}/children`, 'utf8').trim().split(/\s+/)[0]);
    if (!service) throw new Error(`${this.name}: no service process under tsx (${tsx})`);
    const at = Date.now();
    process.kill(service, 'SIGTERM');
    const code = await this.exited;
    return { code, ms: this.exitedAt - at };
  }
}

/** A free loopback port (so a restarted service can come back on the same address its senders use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the service and resolves once its banner is printed (it listens and runs its background jobs by then). */
export async function startService(name: string, env: Record<string, string>, port?: number): Promise<ServiceProcess> {
  const p = port ?? (await freePort());
  const db = new URL(env.DATABASE_URL);
  db.searchParams.set('application_name', `${APP_NAME}-${name}`);
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH!, HOME: os.tmpdir(), HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_TOKEN, DATA_DIR: path.join(os.tmpdir(), 'sb-chaos-unused'),
      ...env, DATABASE_URL: db.toString(), PORT: String(p),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const svc = new ServiceProcess(name, p, child);
  started.add(svc);
  const until = Date.now() + 60_000;
  while (!/manager console:/.test(svc.text)) {
    if (!svc.alive) throw new Error(`${name} exited with ${svc.exitCode} before it started:\n${svc.text}`);
    if (Date.now() > until) throw new Error(`${name} did not start within 60 s:\n${svc.text}`);
    await sleep(50);
  }
  svc.url = /running at (http:\/\/\S+)/.exec(svc.text)![1].replace('localhost', '127.0.0.1');
  return svc;
}

/** For afterAll: no process a case started outlives it, whatever failed. */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((s) => s.kill9()));
  started.clear();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number, everyMs = 100): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await ok()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
