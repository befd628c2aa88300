import { answered, render } from './format';

test('text is escaped for mrkdwn; choices become buttons whose values are the commands', () => {
  const r = render({ kind: 'ack', text: 'Case #7 <!channel> & co', choices: [{ label: 'Set urgency: high', value: '/urgency high' }] });
  expect(r.text).toBe('Case #7 &lt;!channel&gt; &amp; co');
  expect(r.blocks).toEqual([
    { type: 'section', text: { type: 'plain_text', text: 'Case #7 <!channel> & co', emoji: false } },
    { type: 'actions', block_id: 'client_choices', elements: [{ type: 'button', action_id: 'client_choice:0', text: { type: 'plain_text', text: 'Set urgency: high', emoji: false }, value: '/urgency high' }] },
  ]);
  expect(render({ kind: 'reply', text: 'plain' })).toEqual({ text: 'plain' });
});

test('an answered message keeps its text and shows the choice instead of the buttons', () => {
  const { blocks } = render({ kind: 'ack', text: 'Pick one', choices: [{ label: 'Set urgency: low', value: '/urgency low' }] });
  const after = answered(blocks, 'Set urgency: low', 'ann');
  expect(after.map((b) => b.type)).toEqual(['section', 'context']);
  expect(JSON.stringify(after[1])).toContain('Set urgency: low — chosen by ann');
});
