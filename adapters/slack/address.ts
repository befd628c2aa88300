// A Slack Connect conversation is a top-level post in a shared channel and its thread. Its key names the vendor's
// workspace (where the channel id is ours to use), the channel and the thread's root; replies go into that thread.
// Our own posts and the client's messages are stored under the channel's scope with their ts, which is unique within
// a channel only.

export interface SlackAddress {
  channel: string;
  thread_ts: string;
}

export const conversationKey = (team: string, channel: string, rootTs: string) => `slack:${team}:${channel}:${rootTs}`;

const ID = /^[A-Z0-9]{1,40}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;

export function parseAddress(v: unknown): SlackAddress | null {
  const a = v as Partial<SlackAddress> | null;
  return a && typeof a.channel === 'string' && ID.test(a.channel) && typeof a.thread_ts === 'string' && TS.test(a.thread_ts)
    ? { channel: a.channel, thread_ts: a.thread_ts }
    : null;
}
