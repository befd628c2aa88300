// The in-app chat widget: a front door to the in-app channel (not a channel of its own). Its messages are in-app
// messages; what the service sends an account reaches its widgets through the read-back, as the vendor's app can.
import type { FastifyInstance } from 'fastify';
import type { ChannelDeps } from '../../../src/channels/module';
import { describeError } from '../../../src/core/errors';
import type { OutboundMessage } from '../../../src/core/ports';
import type { InappAddress } from '../address';
import type { InappConfig } from '../config';
import { StreamHub, type StreamLimits } from './hub';
import { Offers } from './offers';
import { widgetRoutes } from './routes';
import type { StreamOptions } from './stream';

export const WIDGET_DEFAULTS: StreamOptions & StreamLimits = {
  // Only a fallback: this instance's own writes for an account wake its streams at once.
  pollMs: 2000,
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  perAccount: 10,
  total: 2000,
};

export interface Widget {
  routes(app: FastifyInstance): Promise<void>;
  /** The in-app adapter calls this for every message it delivers to an account, before delivering it. */
  delivering(to: InappAddress, msg: OutboundMessage): Promise<void>;
}

export function createWidget(deps: ChannelDeps<InappConfig>, over: Partial<typeof WIDGET_DEFAULTS> = {}): Widget {
  const o = { ...WIDGET_DEFAULTS, ...over };
  const offers = new Offers(deps.state);
  const hub = new StreamHub({ perAccount: o.perAccount, total: o.total });
  return {
    routes: async (app) => {
      // Open streams would hold the server open: end them first, and browsers reconnect (elsewhere, if anywhere).
      app.addHook('preClose', async () => hub.closeAll());
      await widgetRoutes(app, deps, { offers, hub, stream: o });
    },
    async delivering(to, msg) {
      try {
        await offers.delivered(to.accountId, msg);
      } catch (err) {
        // The buttons are a convenience (/urgency works typed); they never hold up the delivery itself.
        deps.log.warn({ err: describeError(err) }, 'could not note the urgency choices for the widget');
      }
      hub.wake(to.accountId);
    },
  };
}
