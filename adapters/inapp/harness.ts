// Parity harness for the in-app channel: native deliveries are signed POSTs; what we send arrives at the vendor's
// callback server that the test service already runs.
import { randomUUID } from 'node:crypto';
import type { ChannelHarness, NeutralOutbound } from '../../test/parity/harness';
import type { TestService } from '../../test/support/service';
import { INAPP_CAPABILITIES } from './index';

export default function inappHarness(): ChannelHarness {
  const account = `acct-parity-${randomUUID().slice(0, 8)}`;
  let t: TestService;
  let last: unknown = null;
  const deliver = async (body: unknown) => {
    last = body;
    const res = await t.inapp(body);
    return { status: res.status, outcome: res.json?.status ?? null };
  };
  const says = (text: string, urgency?: string) =>
    deliver({ id: randomUUID(), account: { id: account, name: 'Parity Co' }, user: { id: 'parity-user', name: 'Pat Client' }, text, ...(urgency ? { urgency } : {}) });
  return {
    channel: 'inapp',
    capabilities: INAPP_CAPABILITIES,
    prepare: async () => ({}),
    start: async (service) => void (t = service),
    link: async (svc, clientId) => void expect((await svc.admin('PATCH', `/api/v1/clients/${clientId}`, { inappAccountId: account })).status).toBe(200),
    clientSays: (text, opts = {}) => says(text, opts.urgency),
    // The vendor's app renders choices as buttons and sends the chosen value back as the client's message.
    choose: (value) => says(value),
    redeliverLast: () => deliver(last),
    received: (): NeutralOutbound[] =>
      t.callback.received
        .filter((r) => r.body.account?.id === account)
        .map((r) => ({ text: r.body.text, author: r.body.author?.name ?? null, choices: (r.body.choices ?? []).map((c: { value: string }) => c.value) })),
    stop: async () => undefined,
  };
}
