// A vendor staff member answering directly in a client's shared thread: the client has read it already, so it is
// recorded on the case as the manager's reply (same SLA rules as a reply from the console thread, where it is
// shown) and never posted again. Whoever wrote it is told, only to them, what could not be as they may have meant.
import * as commands from '../../src/core/commands';
import { CommandError, DuplicateDelivery, type Actor } from '../../src/core/commands';
import { NOTE } from '../../src/console/slack/app';
import type { SlackShared } from './shared';


export interface StaffPost {
  user: string;
  channel: string;
  ts: string;
  rootTs: string;
  conversationKey: string;
  text: string;
}

export async function recordStaffReply(s: SlackShared, p: StaffPost, delivery: NonNullable<Actor['delivery']>): Promise<void> {
  const kase = await s.data.latestCaseOfConversation(p.conversationKey);
  // Staff talking in a thread that is no case's (a thread they started) is their own business.
  if (!kase) return;
  const tell = (text: string) => s.client.chat.postEphemeral({ channel: p.channel, user: p.user, thread_ts: p.rootTs, text }).then(() => undefined, () => undefined);
  if (!p.text.trim()) return tell(`Files shared here reach the client, but Switchboard keeps only text on case #${kase.number}: add a line saying what you sent.`);
  const m = await s.data.managerBySlackUser(p.user);
  const actor: Actor = m ? { managerId: m.id, delivery } : { managerId: null, label: `slack:${p.user}`, delivery };
  try {
    await commands.reply(s.core, { id: kase.id }, actor, p.text, [], { deliveredAs: { scope: p.channel, externalId: p.ts } });
  } catch (err) {
    // A redelivery of what is recorded already: its explanations were given the first time.
    if (err instanceof DuplicateDelivery) return;
    if (err instanceof CommandError) return tell(`Your answer reached the client but is not on case #${kase.number}: ${err.message}`);
    throw err;
  }
  if (!m) await tell(`Your answer is on case #${kase.number}, but without a manager: you are not set up as a Switchboard manager (an admin sets your Slack user id).`);
  if (NOTE.test(p.text)) await tell(`This thread is shared with the client, so they read that. Internal notes go in the case thread in the console (\`note:\` or \`//\` there).`);
}
