// One IMAP connection (imapflow). An ImapFlow instance cannot reconnect: every connection is a new one. The server's
// own push (IDLE) starts after `idleDelayMs` of quiet.
import { ImapFlow } from 'imapflow';
import type { EmailConfig } from './config';

export interface ImapOptions {
  idleDelayMs?: number;
  connectTimeoutMs?: number;
}

export function newImap(cfg: EmailConfig['imap'], opts: ImapOptions = {}): ImapFlow {
  const client = new ImapFlow({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'tls',
    // STARTTLS is required, not opportunistic, unless the operator chose plaintext: a stripped STARTTLS must not
    // send the password in the clear.
    doSTARTTLS: cfg.tls === 'starttls' ? true : cfg.tls === 'none' ? false : undefined,
    auth: { user: cfg.user, pass: cfg.password },
    logger: false,
    autoIdleDelay: opts.idleDelayMs ?? 1000,
    connectionTimeout: opts.connectTimeoutMs ?? 15_000,
    greetingTimeout: opts.connectTimeoutMs ?? 15_000,
    // A connection that says nothing for this long is dead; the watchdog usually notices first.
    socketTimeout: 5 * 60_000,
    disableCompression: true,
  });
  // An 'error' without a listener would crash the process; the receiver watches 'close'.
  client.on('error', () => undefined);
  return client;
}

/** Ends a connection politely when it is usable, at once otherwise; never throws. */
export async function closeImap(client: ImapFlow | null | undefined, timeoutMs = 2000): Promise<void> {
  if (!client) return;
  if (client.usable) {
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([client.logout().catch(() => undefined), timer]);
  }
  client.close();
}
