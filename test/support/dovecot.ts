// A real Dovecot (IMAP + LMTP) on loopback for the email channel's tests (PLATFORMS.md §Email). Config, users, mail
// and logs live in one scratch folder; ports are picked once, so restart() keeps them together with the mail dir and
// UIDVALIDITY, as a real server restart would.
//
//   const skip = dovecotSkipReason();   // at collection time: undefined, or why the tests must skip
//   const dc = await startDovecot();     // in beforeAll; dc.available is false only where skip is set
//   await dc.stop();                     // in afterAll (`dc?.stop()`): idempotent; a failed start cleans up itself
//
// Under SB_REQUIRE_DOVECOT=1 (CI) a missing Dovecot throws instead of skipping. A Dovecot that is installed but will
// not start always throws, with the tail of its log: that is a broken peer, not a reason to skip.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface Endpoint { host: string; port: number }
export interface MailUser { user: string; password: string }

export interface Dovecot {
  available: true;
  imap: Endpoint;
  lmtp: Endpoint;
  users: MailUser[];
  /** The scratch folder (config, passwd, mail/, dovecot.log). */
  dir: string;
  /** Delivers over LMTP as an MTA would: the envelope sender is `from`, else the message's own Return-Path (`<>` for
   *  a bounce; the header itself is dropped), else its From. Dovecot stores it as the Return-Path header. */
  deliver(raw: string | Buffer, to: string, opts?: { from?: string }): Promise<void>;
  /** `doveadm save`: into any mailbox, without LMTP's added headers. */
  save(raw: string | Buffer, user: string, mailbox?: string): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export interface DovecotUnavailable { available: false; skipReason: string; stop(): Promise<void> }

const HOST = '127.0.0.1';
const READY_MS = 10_000;
const STOP_MS = 5_000;

function which(name: string, extra: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extra].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return undefined;
}

// /usr/sbin is often missing from a non-root PATH.
const bin = () => ({
  dovecot: which('dovecot', ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin']),
  doveadm: which('doveadm', ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']),
});

/** Why Dovecot tests must skip here, or undefined when they can run. Throws when SB_REQUIRE_DOVECOT is set. */
export function dovecotSkipReason(): string | undefined {
  const b = bin();
  const missing = !b.dovecot ? 'dovecot' : !b.doveadm ? 'doveadm' : undefined;
  if (!missing) return undefined;
  const reason = `${missing} is not installed (Debian: apt-get install dovecot-imapd dovecot-lmtpd)`;
  if (process.env.SB_REQUIRE_DOVECOT) throw new Error(`SB_REQUIRE_DOVECOT is set but ${reason}`);
  return reason;
}

async function freePorts(n: number): Promise<number[]> {
  // Held open together so the n ports differ; Dovecot binds with SO_REUSEADDR, so closing first is enough.
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

// The first line a server sends when it is really serving, not just when the port is bound.
function greets(port: number, prefix: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, HOST);
    let buf = '';
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith(prefix));
    });
  });
}

// Dovecot runs in a process group of its own (pgid = master pid): IMAP sessions outlive a stopped master (they even
// keep serving the old mail dir), so stopping means signalling the whole group, and only the group.
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

// Safety nets for a run that ends without afterAll: a normal exit kills our groups; a killed worker leaves a folder
// whose owner is gone, and the next start reaps it.
const groups = new Set<number>();
process.once('exit', () => { for (const g of groups) signalGroup(g, 'SIGKILL'); });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function reapOrphans(): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith('sb-dovecot-')) continue;
    const d = path.join(tmp, name);
    const read = (f: string) => { try { return Number(fs.readFileSync(path.join(d, f), 'utf8')); } catch { return 0; } };
    const owner = read('owner.pid');
    if (!owner || alive(owner)) continue; // still being set up, or still owned
    const master = read('run/master.pid');
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${master}/cmdline`, 'utf8'); } catch { /* gone, or no /proc */ }
    if (master && cmd.includes(d)) signalGroup(master, 'SIGKILL');
    fs.rmSync(d, { recursive: true, force: true });
  }
}

function config(dir: string, imapPort: number, lmtpPort: number): string {
  const root = process.getuid?.() === 0;
  const uid = root ? 65534 : process.getuid!();
  const gid = root ? 65534 : process.getgid!();
  // Without root, Dovecot can neither chroot the login processes nor switch users: everything runs as us.
  const me = os.userInfo().username;
  const rootless = root ? '' : `
default_internal_user = ${me}
default_login_user = ${me}
default_internal_group = ${gidName(gid)}
service imap-login {
  chroot =
}
service anvil {
  chroot =
}
service lmtp {
  user = ${me}
}`;
  return `# Written by test/support/dovecot.ts
protocols = imap lmtp
listen = ${HOST}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u/Maildir
first_valid_uid = ${Math.min(uid, 500)}
first_valid_gid = ${Math.min(gid, 500)}
mail_fsync = never
# Tests open a client per step; the default of 10 per user and IP is reached quickly.
mail_max_userip_connections = 100
# IDLE relies on inotify; where it is unavailable the default is to look every 30 s.
mailbox_idle_check_interval = 1 secs
postmaster_address = postmaster@example.test
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = ${HOST}
    port = ${lmtpPort}
  }
}${rootless}
`;
}

function gidName(gid: number): string {
  const line = fs.readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(gid));
  return line ? line.split(':')[0] : String(gid);
}

function tail(file: string, bytes = 3000): string {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.slice(-bytes);
  } catch {
    return '(no log)';
  }
}

// An MTA takes the envelope sender from MAIL FROM and drops any Return-Path the message brings (Postfix does);
// Dovecot's LMTP adds its own but keeps the old one, so a fixture's Return-Path becomes the envelope instead.
function envelope(raw: string | Buffer): { from: string; raw: Buffer } {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const rp = /^return-path:\s*<([^>]*)>/im.exec(unfolded);
  const from = rp ?? /^from:.*?<([^>]+)>/im.exec(unfolded) ?? /^from:\s*(\S+@\S+)/im.exec(unfolded);
  const kept = head.replace(/^return-path:.*(\r?\n[ \t].*)*(\r?\n|$)/gim, '');
  return { from: from ? from[1] : 'sender@example.test', raw: Buffer.from(kept + text.slice(head.length), 'latin1') };
}

export async function startDovecot(opts: { users?: string[] } = {}): Promise<Dovecot | DovecotUnavailable> {
  const skipReason = dovecotSkipReason();
  if (skipReason) return { available: false, skipReason, stop: async () => undefined };
  const { dovecot: dovecotBin, doveadm } = bin() as { dovecot: string; doveadm: string };

  reapOrphans();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-dovecot-'));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  // The auth process runs as the `dovecot` user and must reach the passwd file: mkdtemp makes 0700.
  fs.chmodSync(dir, 0o755);
  const [imapPort, lmtpPort] = await freePorts(2);
  const users = (opts.users ?? ['support@example.test', 'client@example.test'])
    .map((user) => ({ user, password: crypto.randomBytes(9).toString('base64url') }));
  fs.writeFileSync(path.join(dir, 'passwd'), users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''), { mode: 0o644 });
  for (const d of ['run', 'state', 'mail']) fs.mkdirSync(path.join(dir, d));
  if (process.getuid?.() === 0) fs.chownSync(path.join(dir, 'mail'), 65534, 65534);
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(conf, config(dir, imapPort, lmtpPort));
  const logFile = path.join(dir, 'dovecot.log');

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const c = spawn(dovecotBin, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    c.stderr!.on('data', (d) => { stderr += d; });
    child = c;
    groups.add(c.pid!);
    let dead = false;
    exited = new Promise((r) => c.once('exit', () => { dead = true; r(); }));
    const deadline = Date.now() + READY_MS;
    while (Date.now() < deadline && !dead) {
      if ((await greets(imapPort, '* OK')) && (await greets(lmtpPort, '220'))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const why = dead ? `exited with ${c.exitCode ?? c.signalCode}` : `did not answer within ${READY_MS} ms`;
    await halt();
    throw new Error(`dovecot ${why} (${conf})\n${stderr}\n${tail(logFile)}`);
  }

  async function halt(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c) return;
    // TERM to every process: sessions say BYE to their clients, as in a real shutdown.
    signalGroup(c.pid!, 'SIGTERM');
    const deadline = Date.now() + STOP_MS;
    const timer = setTimeout(() => signalGroup(c.pid!, 'SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
    while (signalGroup(c.pid!, 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    signalGroup(c.pid!, 'SIGKILL');
    groups.delete(c.pid!);
  }

  await launch();

  return {
    available: true,
    imap: { host: HOST, port: imapPort },
    lmtp: { host: HOST, port: lmtpPort },
    users,
    dir,
    async deliver(raw, to, o = {}) {
      const t = nodemailer.createTransport({ host: HOST, port: lmtpPort, lmtp: true, ignoreTLS: true, connectionTimeout: 3000, socketTimeout: 5000 });
      try {
        const e = envelope(raw);
        const info = await t.sendMail({ envelope: { from: o.from ?? e.from, to: [to] }, raw: e.raw });
        if (info.rejected.length) throw new Error(`LMTP refused ${to}: ${info.response}`);
      } finally {
        t.close();
      }
    },
    async save(raw, user, mailbox = 'INBOX') {
      await new Promise<void>((resolve, reject) => {
        const p = spawn(doveadm, ['-c', conf, 'save', '-u', user, '-m', mailbox], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr!.on('data', (d) => { err += d; });
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`doveadm save exited ${code}: ${err}`))));
        p.stdin!.end(raw);
      });
    },
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: () => tail(logFile, 20_000),
  };
}
