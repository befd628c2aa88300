// For the ingest benchmark (bench/run.ts): signed Teams activities for POST /webhooks/botframework, and the fake
// channel that signs them (its keys, login host and connector on loopback). The service under load gets `env`.
//   const bf = await startBotFrameworkBench({ conversations: 200 });
//   startServer(..., { ...bf.env });            // the service verifies against the fake's keys
//   setupRequest: (req) => ({ ...req, ...bf.request('The dashboard numbers look wrong') })
//   await bf.close();
import { randomUUID } from 'node:crypto';
import { startFakeBotFramework } from '../../test/support/fake-botframework';
import { WEBHOOK_PATH } from './routes';

export interface SignedRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface ActivitySigner {
  serviceUrl: string;
  appId: string;
  tenantId: string;
  /** A channel token for the bot (the channel reuses one for many activities, and so may a benchmark). */
  token(): string;
}

/** One Teams personal-chat message from client `conversation` (0…n-1 → one case each), as the channel POSTs it. */
export function signedActivityRequest(signer: ActivitySigner, text: string, conversation = 0): SignedRequest {
  const user = `bench-${conversation}`;
  const body = JSON.stringify({
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    serviceUrl: signer.serviceUrl,
    channelId: 'msteams',
    from: { id: `29:${user}`, name: `Bench User ${conversation}`, aadObjectId: `00000000-0000-4000-8000-${String(conversation).padStart(12, '0')}` },
    conversation: { conversationType: 'personal', tenantId: signer.tenantId, id: `a:1${user}` },
    recipient: { id: `28:${signer.appId}`, name: 'Switchboard' },
    textFormat: 'plain',
    text,
    channelData: { tenant: { id: signer.tenantId } },
    locale: 'en-US',
  });
  return { method: 'POST', path: WEBHOOK_PATH, headers: { 'content-type': 'application/json', authorization: `Bearer ${signer.token()}` }, body };
}

export interface BotFrameworkBench {
  /** The service's Bot Framework environment, pointing at the fake. */
  env: Record<string, string>;
  request(text: string, opts?: { conversation?: number }): SignedRequest;
  close(): Promise<void>;
}

export async function startBotFrameworkBench(opts: { conversations?: number } = {}): Promise<BotFrameworkBench> {
  const appId = randomUUID();
  const tenantId = randomUUID();
  const fake = await startFakeBotFramework({ appId });
  const conversations = opts.conversations ?? 200;
  // Signing is RSA work the load generator would otherwise do per request; a token lives an hour.
  let token = fake.token();
  let signedAt = Date.now();
  const signer: ActivitySigner = {
    serviceUrl: fake.serviceUrl,
    appId,
    tenantId,
    token: () => {
      if (Date.now() - signedAt > 30 * 60_000) [token, signedAt] = [fake.token(), Date.now()];
      return token;
    },
  };
  return {
    env: {
      ...fake.env(appId, 'bench-bot-secret'),
    },
    request: (text, o = {}) => signedActivityRequest(signer, text, o.conversation ?? Math.floor(Math.random() * conversations)),
    close: () => fake.close(),
  };
}
