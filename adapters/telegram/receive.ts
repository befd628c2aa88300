// One update, however it arrived (webhook or long polling): normalized, handed to core, and — for a button
// press — acknowledged on Telegram once core has it. Acknowledging happens after this returns, so a webhook answers
// as soon as core committed and Telegram's latency never holds up ingest.
import { describeError } from '../../src/core/errors';
import type { IngestOutcome } from '../../src/core/intake';
import type { InboundEnvelope, Logger } from '../../src/core/ports';
import type { Metrics } from '../../src/http/metrics';
import type { ConversationMove } from './address';
import type { BotApi } from './bot';
import { normalize, type BotIdentity, type NormalizeContext, type Press } from './normalize';
import type { TgUpdate } from './update';

export interface ReceiveDeps {
  api: BotApi;
  me(): Promise<BotIdentity>;
  ingest(env: InboundEnvelope): Promise<IngestOutcome>;
  move(move: ConversationMove): Promise<void>;
  fileLink: NormalizeContext['fileLink'];
  now(): Date;
  log: Logger;
  metrics: Metrics;
}

export type Answer = { status: string; case?: { number: number; opened: boolean; reopened: boolean } };

function summary(out: IngestOutcome): Answer {
  if (out.status === 'stored') return { status: out.status, case: { number: out.caseNumber, opened: out.opened, reopened: out.reopened } };
  if (out.status === 'changed' && out.caseNumber !== null) return { status: out.status, case: { number: out.caseNumber, opened: false, reopened: false } };
  return { status: out.status };
}

export class UpdateHandler {
  private pending = new Set<Promise<void>>();

  constructor(private readonly d: ReceiveDeps) {}

  /**
   * Resolves once core has the update, with core's outcome (Telegram ignores a webhook answer without a `method`;
   * operators and tests read it). Throws when core couldn't take it: the platform should deliver it again.
   */
  async receive(update: TgUpdate): Promise<Answer> {
    const started = process.hrtime.bigint();
    const n = normalize(update, { bot: await this.d.me(), now: this.d.now(), fileLink: this.d.fileLink });
    let answer: Answer;
    if (n.kind === 'envelope') answer = summary(await this.d.ingest(n.envelope));
    else if (n.kind === 'move') {
      await this.d.move(n.move);
      answer = { status: 'moved' };
    } else answer = { status: 'ignored' };
    if (n.kind !== 'move' && n.press) this.later(() => this.acknowledge(n.press!));
    this.d.metrics.inbound.inc({ channel: 'telegram', outcome: answer.status });
    this.d.metrics.ingestSeconds.observe({ channel: 'telegram' }, Number(process.hrtime.bigint() - started) / 1e9);
    return answer;
  }

  /** Waits for acknowledgements still on their way (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private later(fn: () => Promise<void>): void {
    const p = fn().finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** The spinner on the client's button stops, and the keyboard goes: an urgency is chosen once. */
  private async acknowledge(p: Press): Promise<void> {
    const calls: Promise<unknown>[] = [this.d.api.call('answerCallbackQuery', { callback_query_id: p.callbackQueryId }, { signal: AbortSignal.timeout(10_000) })];
    if (p.chatId !== undefined && p.messageId !== undefined)
      calls.push(this.d.api.call('editMessageReplyMarkup', { chat_id: p.chatId, message_id: p.messageId, reply_markup: { inline_keyboard: [] } }, { signal: AbortSignal.timeout(10_000) }));
    for (const r of await Promise.allSettled(calls))
      // A redelivered press finds its query answered already ("query is too old"): expected, not worth a warning.
      if (r.status === 'rejected') this.d.log.debug({ channel: 'telegram', err: describeError(r.reason) }, 'button press acknowledgement failed');
  }
}
