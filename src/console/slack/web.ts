// The Slack Web API client. Retries are off: the outbox drainer owns retrying (an SDK retry on top would double-post),
// so rate limits and outages surface as typed DeliveryErrors the drainer understands.
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { DeliveryError } from '../../core/ports';
import type { SlackConfig } from './config';

export function webClientOptions(cfg: SlackConfig): WebClientOptions {
  return {
    slackApiUrl: cfg.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
}

export function createWebClient(cfg: SlackConfig): WebClient {
  return new WebClient(cfg.botToken, webClientOptions(cfg));
}

const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_auth', 'not_authed', 'account_inactive', 'missing_scope',
  'user_not_found', 'cant_invite_self', 'invalid_blocks', 'msg_too_long', 'no_text', 'restricted_action',
]);

/** Maps a WebClient failure onto the drainer's vocabulary: retry later, or give up and report. */
export function toDeliveryError(err: unknown): DeliveryError {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  if (e.code === 'slack_webapi_rate_limited_error') return new DeliveryError('Slack rate limited the call', true, (e.retryAfter ?? 1) * 1000);
  if (e.code === 'slack_webapi_platform_error') {
    const code = e.data?.error ?? 'unknown_error';
    return new DeliveryError(`Slack refused the call: ${code}`, !PERMANENT.has(code));
  }
  if (e.code === 'slack_webapi_http_error') return new DeliveryError(`Slack answered HTTP ${e.statusCode ?? '?'}`, true);
  return new DeliveryError(`Slack unreachable: ${e.message ?? String(err)}`, true);
}

export async function slack<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toDeliveryError(err);
  }
}
