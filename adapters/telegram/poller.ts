// Long polling, for running without a public URL. One instance at a time (the service runs receivers under a
// lease): two pollers, or a poller and a webhook, make Telegram answer 409. The offset is stored after each update
// core took, so a restart resumes exactly there; an update whose commit landed but whose offset didn't is delivered
// again and recognised by its update_id.
import { TelegramError } from 'telegraf';
import type { ChannelState, Receiver } from '../../src/channels/module';
import { describeError } from '../../src/core/errors';
import { sleepUnlessAborted } from '../../src/core/backoff';
import type { Logger } from '../../src/core/ports';
import type { BotApi } from './bot';
import { ALLOWED_UPDATES, InvalidUpdate, parseUpdate } from './update';

export const OFFSET_KEY = 'poll-offset';

export interface PollerDeps {
  api: BotApi;
  state: ChannelState;
  handle(update: ReturnType<typeof parseUpdate>): Promise<unknown>;
  log: Logger;
  /** Seconds Telegram holds a getUpdates open when there is nothing to deliver. */
  timeoutSeconds?: number;
  /** First backoff after a failure (doubles up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Told whether Telegram answers the poll (the receivers' connection metric). */
  connected?(up: boolean): void;
}

export function createPoller(d: PollerDeps): Receiver {
  const timeout = d.timeoutSeconds ?? 25;
  const base = d.backoffMs ?? 1000;
  const max = d.maxBackoffMs ?? 30_000;
  return {
    name: 'telegram-long-polling',
    async run(signal: AbortSignal): Promise<void> {
      let failures = 0;
      const backoff = async (err: unknown, what: string) => {
        failures++;
        const retryAfter = err instanceof TelegramError && err.code === 429 ? (err.parameters?.retry_after ?? 1) * 1000 : 0;
        const ms = Math.max(retryAfter, Math.min(max, base * 2 ** (failures - 1)));
        const conflict = err instanceof TelegramError && err.code === 409;
        d.log[conflict || failures > 3 ? 'error' : 'warn']({
          channel: 'telegram', err: describeError(err), retryInMs: ms,
          ...(conflict ? { hint: 'another poller or a webhook is active for this bot; polling runs only without PUBLIC_URL, on one instance' } : {}),
        }, what);
        await sleepUnlessAborted(ms, signal);
      };

      // getUpdates refuses to run while a webhook is set (a previous deployment with PUBLIC_URL).
      while (!signal.aborted) {
        try {
          await d.api.call('deleteWebhook', { drop_pending_updates: false }, { signal });
          break;
        } catch (err) {
          if (signal.aborted) return;
          await backoff(err, 'telegram: could not remove the webhook before polling');
        }
      }
      failures = 0;

      let offset = (await d.state.get<number>(OFFSET_KEY)) ?? 0;
      while (!signal.aborted) {
        let updates: unknown[];
        try {
          updates = await d.api.call<unknown[]>('getUpdates', { offset, timeout, allowed_updates: ALLOWED_UPDATES }, { signal });
        } catch (err) {
          if (signal.aborted) return;
          d.connected?.(false);
          await backoff(err, 'telegram: getUpdates failed');
          continue;
        }
        d.connected?.(true);
        failures = 0;
        for (const raw of Array.isArray(updates) ? updates : []) {
          // Stop between updates: the next lease holder resumes from the stored offset.
          if (signal.aborted) return;
          const id = (raw as { update_id?: unknown })?.update_id;
          if (typeof id !== 'number') continue;
          try {
            await d.handle(parseUpdate(raw));
          } catch (err) {
            // A shape we can't read would fail forever: skipped (and logged), like a webhook's 400.
            if (!(err instanceof InvalidUpdate)) {
              if (signal.aborted) return;
              await backoff(err, 'telegram: an update could not be stored; fetching it again');
              break;
            }
            d.log.warn({ channel: 'telegram', updateId: id, err: err.message }, 'telegram: skipped an update we cannot read');
          }
          offset = id + 1;
          try {
            await d.state.set(OFFSET_KEY, offset);
          } catch (err) {
            // The next getUpdates confirms it to Telegram anyway; a restart before a later save sees it again, deduped.
            d.log.warn({ channel: 'telegram', err: describeError(err) }, 'telegram: could not store the polling offset');
          }
          failures = 0;
        }
      }
    },
  };
}
