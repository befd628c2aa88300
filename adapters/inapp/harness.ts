// Parity harness for the in-app channel: native deliveries are signed POSTs; what we send arrives at the vendor's
// callback server that the test service already runs.
import { randomUUID } from 'node:crypto';
import type { ChannelHarness, NeutralOutbound } from '../../test/parity/harness';
import type { TestService } from '../../test/support/service';
import { INAPP_CAPABILITIES } from './index';

export function inappHarness(t: TestService): ChannelHarness {
  const account = `acct-parity-${randomUUID().slice(0, 8)}`;
  let last: unknown = null;
  const deliver = async (body: unknown) => {
    last = body;
    const res = await t.inapp(body);
    return { status: res.status, outcome: res.json?.status ?? null };
  };
  return {
    channel: 'inapp',
    capabilities: INAPP_CAPABILITIES,
    clientFields: () => ({ inappAccountId: account }),
    start: async () => undefined,
    clientSays: (text, opts = {}) =>
      deliver({ id: randomUUID(), account: { id: account, name: 'Parity Co' }, user: { id: 'parity-user', name: 'Pat Client' }, text, ...(opts.urgency ? { urgency: opts.urgency } : {}) }),
    redeliverLast: () => deliver(last),
    received: (): NeutralOutbound[] =>
      t.callback.received
        .filter((r) => r.body.account?.id === account)
        .map((r) => ({ kind: r.body.kind, text: r.body.text, caseNumber: r.body.caseNumber ?? null, author: r.body.author?.name ?? null })),
    stop: async () => undefined,
  };
}
