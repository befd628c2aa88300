// A vendor app sending signed in-app messages (scheme v2), as a platform would: every attempt's outcome is kept per
// message id, and whatever did not get a 2xx can be redelivered later.
import { signedHeaders } from '../../adapters/inapp';
import { INAPP_SECRET } from './service';

/** An HTTP status, or what happened instead of an answer. */
export type Outcome = number | 'refused' | 'reset' | 'timeout' | 'error';

export interface InappMsg {
  id: string;
  account: { id: string; name?: string };
  user: { id: string; name?: string };
  text: string;
  urgency?: string;
}

export interface Attempt {
  outcome: Outcome;
  at: number;
  ms: number;
  target: string;
}

export const is2xx = (o: Outcome) => typeof o === 'number' && o >= 200 && o < 300;

export async function postInapp(base: string, msg: InappMsg, timeoutMs = 15_000): Promise<Outcome> {
  const body = JSON.stringify(msg);
  try {
    const res = await fetch(`${base}/webhooks/inapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body }, new Date()) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch (err) {
    return classify(err);
  }
}

function classify(err: unknown): Outcome {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return 'timeout';
  const code = e.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return 'error';
}

export class Sender {
  readonly attempts = new Map<string, Attempt[]>();
  readonly messages = new Map<string, InappMsg>();

  constructor(private target: () => string) {}

  async send(msg: InappMsg): Promise<Outcome> {
    this.messages.set(msg.id, msg);
    const base = this.target();
    const at = Date.now();
    const outcome = await postInapp(base, msg);
    const list = this.attempts.get(msg.id) ?? [];
    list.push({ outcome, at, ms: Date.now() - at, target: base });
    this.attempts.set(msg.id, list);
    return outcome;
  }

  /** Sends `msgs` with `concurrency` requests in flight; `stop()` returning true ends it early. */
  async run(msgs: InappMsg[], concurrency: number, stop: () => boolean = () => false): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < msgs.length && !stop()) await this.send(msgs[next++]);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Ids that got a 2xx on some attempt. */
  acknowledged(): string[] {
    return [...this.attempts].filter(([, a]) => a.some((x) => is2xx(x.outcome))).map(([id]) => id);
  }

  unacknowledged(): string[] {
    return [...this.attempts].filter(([, a]) => !a.some((x) => is2xx(x.outcome))).map(([id]) => id);
  }

  /** Redelivers what never got a 2xx until it does (a platform's retries), up to `rounds` passes. */
  async redeliver(concurrency: number, rounds = 5): Promise<number> {
    let sent = 0;
    for (let r = 0; r < rounds; r++) {
      const todo = this.unacknowledged().map((id) => this.messages.get(id)!);
      if (!todo.length) break;
      sent += todo.length;
      await this.run(todo, concurrency);
    }
    return sent;
  }

  /** Every attempt's outcome, counted. */
  tally(filter: (a: Attempt) => boolean = () => true): Record<string, number> {
    const out: Record<string, number> = {};
    for (const list of this.attempts.values())
      for (const a of list) if (filter(a)) out[String(a.outcome)] = (out[String(a.outcome)] ?? 0) + 1;
    return out;
  }
}

/**
 * `n` messages from `accounts` accounts. Accounts come in waves of `wave` (each wave sends all its accounts' messages,
 * interleaved), so new clients — and their cases and acknowledgements — keep appearing throughout the run.
 */
export function messages(prefix: string, n: number, accounts: number, extra: Partial<InappMsg> = {}, wave = 20): InappMsg[] {
  const per = Math.ceil(n / accounts);
  return Array.from({ length: n }, (_, i) => {
    const inWave = i % (wave * per);
    const account = Math.floor(i / (wave * per)) * wave + (inWave % wave);
    return {
      id: `${prefix}-m${i}`,
      account: { id: `${prefix}-acct-${account}`, name: `Client ${account}` },
      user: { id: `${prefix}-user-${account}`, name: `User ${account}` },
      // Neutral text (nothing urgent, nothing secret): the classifier picks the default urgency.
      text: `Question ${Math.floor(inWave / wave) + 1} about postbacks`,
      ...extra,
    };
  });
}
