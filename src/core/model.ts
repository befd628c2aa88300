// Domain vocabulary shared by every part of the service. Plain data only: no I/O here.

export const URGENCIES = ['critical', 'high', 'medium', 'low', 'informational', 'feature'] as const;
export type Urgency = (typeof URGENCIES)[number];

export function isUrgency(v: unknown): v is Urgency {
  return typeof v === 'string' && (URGENCIES as readonly string[]).includes(v);
}

export const CHANNELS = ['inapp', 'telegram', 'slack', 'botframework', 'email'] as const;
export type ChannelKind = (typeof CHANNELS)[number];

export type Tier = 'premium' | 'standard';
export type CaseStatus = 'open' | 'waiting_on_client' | 'resolved';
export type CaseKind = 'support' | 'feature' | 'funnel_activation' | 'call';
export type ManagerStatus = 'active' | 'away';
export type MessageDirection = 'inbound' | 'outbound' | 'note';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** ["HH:MM", "HH:MM"]; an interval whose end is not after its start crosses midnight. */
export type TimeInterval = [string, string];

export interface CalendarSpec {
  /** IANA zone, e.g. "Europe/Moscow". */
  zone: string;
  week: Partial<Record<Weekday, TimeInterval[]>>;
  /** Dated days off, "YYYY-MM-DD" in the calendar's zone. */
  holidays: string[];
  /** Dated exceptions replacing that day's intervals (e.g. a working Saturday, a short day). */
  exceptions?: Record<string, TimeInterval[]>;
}

export type HoursMode = 'business' | '24x7';

export interface PolicySpec {
  targets: Record<Urgency, { minutes: number; hours: HoursMode }>;
  /** Fractions of the target at which the manager is warned, each once. */
  warnAt: number[];
  /** Whether a plain manager reply satisfies the response target. */
  plainReplyCounts: boolean;
  /** A message on a resolved case within this many days reopens it. */
  reopenDays: number;
}
