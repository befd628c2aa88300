// A composed message as a Slack post in the client's thread. Its text is core's plain text escaped for mrkdwn (a
// client can't be sent a mention or a disguised link by accident); choices become Block Kit buttons whose values
// are the commands a client could type, so a press is the same as typing it.
import { escapeMrkdwn } from '../../src/console/slack/escape';
import type { OutboundMessage } from '../../src/core/ports';

/** A section block's text holds at most 3,000 characters; core splits longer messages at this length. */
export const SLACK_MAX_TEXT = 3000;
/** Buttons are `client_choice:<n>` (action ids must be unique within a block). */
export const CHOICE_ACTION = /^client_choice:\d+$/;
const CHOICES_BLOCK = 'client_choices';

type Block = Record<string, unknown>;

export function render(msg: OutboundMessage): { text: string; blocks?: Block[] } {
  const text = escapeMrkdwn(msg.text);
  if (!msg.choices?.length) return { text };
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: msg.text.slice(0, SLACK_MAX_TEXT), emoji: false } },
      {
        type: 'actions',
        block_id: CHOICES_BLOCK,
        elements: msg.choices.slice(0, 25).map((c, i) => ({
          type: 'button', action_id: `client_choice:${i}`, text: { type: 'plain_text', text: c.label.slice(0, 75), emoji: false }, value: c.value.slice(0, 2000),
        })),
      },
    ],
  };
}

/** The message after a choice was taken: its buttons gone, what was chosen and by whom in their place. */
export function answered(blocks: Block[] | undefined, chosen: string, by: string): Block[] {
  const kept = (blocks ?? []).filter((b) => b.block_id !== CHOICES_BLOCK && b.type !== 'actions');
  return [...kept, { type: 'context', elements: [{ type: 'plain_text', text: `${chosen} — chosen by ${by}`.slice(0, 2000), emoji: false }] }];
}
