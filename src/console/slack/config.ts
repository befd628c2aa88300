export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  /** Base URL of the Web API (proxies, tests); default Slack's own. */
  apiUrl?: string;
  /** Channel id for breaches and escalations (the support lead's channel). */
  leadChannel?: string;
}
