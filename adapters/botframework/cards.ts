// Choices (the urgency buttons on an acknowledgement): an Adaptive Card with Action.Submit buttons in Teams, suggested
// actions in Web Chat and Direct Line. Either way a press comes back as the choice's value — a command the client
// could have typed (`/urgency high`) — so core treats it like any client command.
import type { OutboundChoice } from '../../src/core/ports';

/** The key our buttons carry their value under in a card's submit data. */
export const CHOICE_KEY = 'switchboardChoice';
export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
// Teams renders Adaptive Cards up to 1.5 on desktop and web, 1.4 on mobile.
const CARD_VERSION = '1.4';
const MAX_CHOICE = 200;

/**
 * Buttons only: the message's own text says what the choice is about. Teams shows the first six actions as buttons
 * and the rest in a menu.
 */
export function choiceCard(choices: OutboundChoice[]) {
  return {
    contentType: ADAPTIVE_CARD,
    content: {
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: CARD_VERSION,
      body: [],
      actions: choices.map((c) => ({ type: 'Action.Submit', title: c.label, data: { [CHOICE_KEY]: c.value } })),
    },
  };
}

/** imBack posts the value into the chat as the client's own message; the buttons go away once one is used. */
export function suggestedActions(choices: OutboundChoice[], to?: string) {
  return {
    ...(to ? { to: [to] } : {}),
    actions: choices.map((c) => ({ type: 'imBack', title: c.label, value: c.value })),
  };
}

/** A press on one of our card buttons (a message with `value` and no text): the choice's value, else null. */
export function choiceOf(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = (value as Record<string, unknown>)[CHOICE_KEY];
  if (typeof v !== 'string') return null;
  const choice = v.trim();
  return choice && choice.length <= MAX_CHOICE ? choice : null;
}
