// A bolt Receiver driven by our fastify routes. Events are answered once their handling has committed (Slack
// redelivers what we don't answer); commands and interactions are answered when the listener acks, and the
// listener does its work after.
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../core/ports';
import { describeError } from '../../core/errors';

export interface Dispatched {
  status: number;
  body: unknown;
}

const EVENT_DEADLINE_MS = 2500;

export class FastifyReceiver implements Receiver {
  private app: App | null = null;
  constructor(private readonly log: Logger) {}

  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  dispatch(body: Record<string, unknown>, retry: { num?: number; reason?: string }): Promise<Dispatched> {
    const app = this.app;
    if (!app) return Promise.resolve({ status: 503, body: { error: 'Slack app not ready' } });
    const isEvent = body.type === 'event_callback';
    return new Promise((resolve) => {
      let answered = false;
      const answer = (response: unknown) => {
        if (answered) return;
        answered = true;
        resolve({ status: 200, body: response ?? '' });
      };
      const timer = isEvent ? setTimeout(() => answer(''), EVENT_DEADLINE_MS) : null;
      const event: ReceiverEvent = {
        body,
        retryNum: retry.num,
        retryReason: retry.reason,
        // bolt acks events before its listeners run; we hold the HTTP answer until they are done instead.
        ack: async (response?: unknown) => {
          if (!isEvent) answer(response);
        },
      };
      app
        .processEvent(event)
        .then(
          () => answer(''),
          (err: unknown) => {
            this.log.error({ err: describeError(err) }, 'Slack listener failed');
            // An event we failed to store is answered with an error so Slack redelivers it (dedupe makes that safe).
            if (isEvent && !answered) {
              answered = true;
              resolve({ status: 503, body: { error: 'not handled; retry' } });
            } else answer('');
          },
        )
        .finally(() => {
          if (timer) clearTimeout(timer);
        });
    });
  }
}
