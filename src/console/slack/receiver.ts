// A bolt Receiver driven by our fastify routes.
// Events: answered 200 only once their handling has committed. Slack retries anything else, so an event that fails,
// or is still running when Slack's 3 seconds are nearly up, is answered 503 and comes back: never a 200 for work that
// may yet fail. The redelivery is safe: a reply records its event_id in its own transaction, so a retry that arrives
// while the first attempt still runs waits on that row and then finds the event handled.
// Commands and interactions: answered with what the listener acks; our listeners ack once their work is done or
// ACK_DEADLINE_MS has passed (see answer.ts).
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../core/ports';
import { describeError } from '../../core/errors';

export interface Dispatched {
  status: number;
  body: unknown;
}

export type SlackKind = 'events' | 'commands' | 'interactions';

/** Slack waits 3 seconds; the rest is for the answer to travel. */
export const EVENT_DEADLINE_MS = 2500;

const REDELIVER: Dispatched = { status: 503, body: { error: 'not handled yet; Slack redelivers this event' } };
/** A listener that threw before acking (a bug: ours ack their failures): the manager still gets an answer. */
const FAILED: Record<Exclude<SlackKind, 'events'>, Dispatched> = {
  commands: { status: 200, body: { response_type: 'ephemeral', text: 'Not done: something went wrong and nothing was changed. Try again.' } },
  interactions: { status: 500, body: { error: 'internal error' } },
};

export class FastifyReceiver implements Receiver {
  private app: App | null = null;
  constructor(private readonly log: Logger) {}

  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  dispatch(kind: SlackKind, body: Record<string, unknown>, retry: { num?: number; reason?: string }): Promise<Dispatched> {
    const app = this.app;
    if (!app) return Promise.resolve({ status: 503, body: { error: 'Slack app not ready' } });
    const isEvent = kind === 'events';
    return new Promise((resolve) => {
      let answered = false;
      const answer = (d: Dispatched) => {
        if (answered) return;
        answered = true;
        resolve(d);
      };
      const timer = isEvent ? setTimeout(() => answer(REDELIVER), EVENT_DEADLINE_MS) : null;
      const event: ReceiverEvent = {
        body,
        retryNum: retry.num,
        retryReason: retry.reason,
        // bolt acks events before its listeners run; an event is answered when they are done instead.
        ack: async (response?: unknown) => {
          if (!isEvent) answer({ status: 200, body: response ?? '' });
        },
      };
      app
        .processEvent(event)
        .then(
          () => answer({ status: 200, body: '' }),
          (err: unknown) => {
            // One line, no body: an ORM error's own message carries the query's parameters (message texts).
            this.log.error({ kind, type: typeOf(body), retryNum: retry.num ?? 0, err: describeError(err) }, isEvent ? 'Slack event not handled' : 'Slack listener failed');
            answer(isEvent ? REDELIVER : FAILED[kind as Exclude<SlackKind, 'events'>]);
          },
        )
        .finally(() => {
          if (timer) clearTimeout(timer);
        });
    });
  }
}

function typeOf(body: Record<string, unknown>): string {
  const e = body.event as { type?: unknown } | undefined;
  const t = e?.type ?? body.type ?? body.command;
  return typeof t === 'string' ? t : 'unknown';
}
