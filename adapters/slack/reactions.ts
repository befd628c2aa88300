// The client's post that opened a conversation carries a reaction that follows its case: 👀 open (we are on it),
// ❓ waiting on the client, ✅ resolved. Core knows nothing of reactions: the console tells this follower about
// every case a notice was delivered for (SlackConsole.onCaseNotice), and it sets the reaction when the status moved.
// The reaction last set is kept in the channel's state, so an unchanged status costs no Slack call.
import type { WebClient } from '@slack/web-api';
import type { ChannelState } from '../../src/channels/module';
import type { SlackData } from '../../src/console/slack/data';
import { parseAddress } from './address';

export const STATUS_REACTION: Record<string, string> = { open: 'eyes', waiting_on_client: 'question', resolved: 'white_check_mark' };

/** Slack's answers that mean the reaction already is (or already isn't) there. */
const SETTLED = new Set(['already_reacted', 'no_reaction']);

export function statusReactions(d: { client: WebClient; data: SlackData; state: ChannelState }) {
  return async function follow(caseId: string): Promise<void> {
    const kase = await d.data.caseByRef({ id: caseId });
    if (!kase || kase.channel !== 'slack') return;
    const root = parseAddress(kase.address);
    const want = STATUS_REACTION[kase.status];
    if (!root || !want) return;
    const key = `reaction:${root.channel}:${root.thread_ts}`;
    const had = await d.state.get<string>(key);
    if (had === want) return;
    const call = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (err) {
        if (!SETTLED.has((err as { data?: { error?: string } }).data?.error ?? '')) throw err;
      }
    };
    if (had) await call(() => d.client.reactions.remove({ channel: root.channel, timestamp: root.thread_ts, name: had }));
    await call(() => d.client.reactions.add({ channel: root.channel, timestamp: root.thread_ts, name: want }));
    await d.state.set(key, want);
  };
}
