// What a client reads in the parity scenarios, with case numbers as #N: one copy for every channel's run of them,
// the chat widget's included (adapters/inapp/widget/widget.test.ts).

/** Case opened with urgency high, an ETA posted, the case resolved (Maria Petrova, Europe/Moscow, 23 Nov 2026). */
export const LIFECYCLE_RECEIVED = [
  {
    author: null, text: 'We received your request: case #N. Urgency: high.\nYour manager: Maria Petrova.\nYou will get a response by Mon 23 Nov 2026, 11:30 (Europe/Moscow).',
    choices: ['/urgency critical', '/urgency medium', '/urgency low', '/urgency informational', '/urgency feature'],
  },
  { author: 'Maria Petrova', text: 'ETA for case #N: Mon 23 Nov 2026, 15:00 (Europe/Moscow).', choices: [] },
  { author: 'Maria Petrova', text: 'Case #N is resolved.\nTimezone setting fixed.\nIf anything is still wrong, just reply here within 7 days and we will reopen it.', choices: [] },
];

/** The answer to a client picking critical from the acknowledgement's choices on 7 Dec 2026. */
export const CRITICAL_CHOSEN = 'Case #N is now critical. You will get a response by Mon 7 Dec 2026, 11:15 (Europe/Moscow).';
