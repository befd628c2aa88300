// Outbound: one activity to a conversation, from a stored conversation reference (a reply hours later, or after a
// restart, is a proactive send). POST {serviceUrl}/v3/conversations/{id}/activities[/{replyToId}] through the SDK's
// ConnectorClient, signed with the bot's own token (MSAL against BOTFRAMEWORK_LOGIN_URL, see sdk.ts). Failures come
// back as ConnectorError, retryable or not; the outbox drainer does all retrying (ARCHITECTURE: SDK-level retries
// double-post), so the SDK's own retry policy is taken out of the pipeline.
import type { Activity, ConversationReference } from 'botframework-schema';
import { AuthenticationConstants, ClaimsIdentity, type ConnectorClient } from 'botframework-connector';
import { DeliveryError } from '../../src/core/ports';
import type { BotFrameworkSdk } from './sdk';

/** What the adapter stores per conversation; only an authenticated activity's serviceUrl may end up here. */
export type StoredConversationReference = Pick<ConversationReference, 'serviceUrl' | 'channelId' | 'conversation' | 'bot'> &
  Partial<Pick<ConversationReference, 'user' | 'locale'>>;

export type ConnectorFailure =
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'token_unavailable'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rejected';

export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly reason: ConnectorFailure,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** The outbox's view of a failed send: retry (after Retry-After when given) or report it. */
export function toDeliveryError(err: ConnectorError): DeliveryError {
  return new DeliveryError(`botframework: ${err.message}`, err.retryable, err.retryAfterMs);
}

export interface SendOptions {
  /** Thread the activity under this one (Teams channel posts, replies in a thread). */
  replyToId?: string;
  signal?: AbortSignal;
}

export interface BotConnector {
  /** Sends one activity and returns the id the channel gave it (null when it gave none). Throws ConnectorError. */
  sendActivity(ref: StoredConversationReference, activity: Partial<Activity>, opts?: SendOptions): Promise<{ id: string | null }>;
}

// Per Teams' guidance these are worth retrying; any other 4xx would fail the same way again.
const RETRYABLE = new Set([408, 412, 425, 429]);

export function createBotConnector(sdk: BotFrameworkSdk, opts: { now?: () => number } = {}): BotConnector {
  const now = opts.now ?? Date.now;
  const appId = sdk.config.appId;
  // The identity a proactive send acts as, as CloudAdapter.continueConversationAsync builds it.
  const identity = new ClaimsIdentity(
    appId
      ? [
          { type: AuthenticationConstants.AudienceClaim, value: appId },
          { type: AuthenticationConstants.AppIdClaim, value: appId },
        ]
      : [],
    true,
  );
  const factory = sdk.auth.createConnectorFactory(identity);
  const clients = new Map<string, Promise<ConnectorClient>>();

  function clientFor(serviceUrl: string): Promise<ConnectorClient> {
    let c = clients.get(serviceUrl);
    if (!c) {
      c = factory.create(serviceUrl, sdk.config.oauthScope).then(withoutSdkRetries);
      c.catch(() => clients.delete(serviceUrl));
      clients.set(serviceUrl, c);
    }
    return c;
  }

  return {
    async sendActivity(ref, activity, o = {}) {
      const outgoing: Partial<Activity> = {
        type: 'message',
        ...activity,
        channelId: ref.channelId,
        serviceUrl: ref.serviceUrl,
        conversation: ref.conversation,
        from: ref.bot,
        ...(ref.user ? { recipient: ref.user } : {}),
        ...(ref.locale && !activity.locale ? { locale: ref.locale } : {}),
        ...(o.replyToId ? { replyToId: o.replyToId } : {}),
      };
      try {
        o.signal?.throwIfAborted();
        const client = await clientFor(ref.serviceUrl);
        const options = { abortSignal: o.signal };
        const res = o.replyToId
          ? await client.conversations.replyToActivity(ref.conversation.id, o.replyToId, outgoing, options)
          : await client.conversations.sendToConversation(ref.conversation.id, outgoing, options);
        // Teams answers without an id when it splits a message with attachments (conversation-messages.md).
        return { id: res.id || null };
      } catch (err) {
        throw toConnectorError(err, now());
      }
    },
  };
}

// core-client's default pipeline retries 408/429/5xx and network errors three more times, waiting out Retry-After
// inside the send (seen against the fake: four POSTs and 6 s for one 500): an activity the connector took before
// failing would be posted again, and a long Retry-After would hold the outbox lane. Retries belong to the outbox.
// Redirects are not followed either: the service URL came from an authenticated activity, wherever it redirects
// to did not, and the request carries the bot's token.
function withoutSdkRetries(client: ConnectorClient): ConnectorClient {
  const pipeline = (client as unknown as { client?: { pipeline?: Pipeline } }).client?.pipeline;
  if (!pipeline) throw new Error('botbuilder ConnectorClient has no pipeline to take the retry policy out of');
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  pipeline.removePolicy({ name: 'redirectPolicy' });
  const left = pipeline.getOrderedPolicies().map((p) => p.name);
  if (left.some((n) => /retry|redirect/i.test(n))) throw new Error(`botbuilder ConnectorClient still retries: ${left.join(', ')}`);
  return client;
}

interface Pipeline {
  removePolicy(o: { name: string }): unknown;
  getOrderedPolicies(): { name: string }[];
}

function toConnectorError(err: unknown, nowMs: number): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    statusCode?: number;
    errorCode?: string;
    response?: { headers?: { get?(n: string): string | undefined } };
  };
  const message = String(e?.message ?? err).slice(0, 300);
  if (e?.name === 'AbortError') return new ConnectorError('the send was aborted', 'timeout', true);
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (e?.name === 'RestError' && status !== undefined) {
    const retryAfterMs = parseRetryAfter(e.response?.headers?.get?.('retry-after'), nowMs);
    if (status === 429) return new ConnectorError(`rate limited (${status})`, 'rate_limited', true, status, retryAfterMs);
    if (status >= 500 || RETRYABLE.has(status)) return new ConnectorError(`the connector answered ${status}`, 'server_error', true, status, retryAfterMs);
    if (status === 401) return new ConnectorError('the connector refused the bot token (401)', 'unauthorized', false, status);
    if (status === 403) return new ConnectorError('the bot may not post here (403)', 'forbidden', false, status);
    if (status === 404) return new ConnectorError('the conversation does not exist (404)', 'not_found', false, status);
    return new ConnectorError(`the connector refused the activity (${status})`, 'rejected', false, status);
  }
  if (e?.name === 'RestError') return new ConnectorError(`network failure: ${message}`, 'network', true);
  // Anything thrown while getting the bot's token: MSAL's ServerError/ClientAuthError, or a network failure to the
  // login host. All retryable: nothing reached the channel yet, and a fixed secret lets the backlog through.
  if (e?.errorCode !== undefined || /MSAL|Authentication:|token/i.test(message))
    return new ConnectorError(`could not get the bot token: ${e?.errorCode ?? message}`, 'token_unavailable', true);
  return new ConnectorError(`network failure: ${message}`, 'network', true);
}

/** Retry-After is seconds or an HTTP date; either becomes milliseconds from now. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
