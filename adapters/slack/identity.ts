// Who we are in Slack: the vendor's workspace (its people are staff, everyone else in a shared channel is a client)
// and our bot (its posts coming back are echoes). Asked once with auth.test, which is exactly that question; until it
// has answered, an event's installing workspace (`authorizations[0].team_id`, which the outer `team_id` mirrors for
// a single-workspace app) stands in for the team. A failed ask is asked again on the next event.
import type { WebClient } from '@slack/web-api';

export interface VendorIdentity {
  teamId: string;
  /** On Enterprise Grid, people's `user_team` may name the organisation rather than the workspace. */
  enterpriseId?: string | null;
  botUserId: string | null;
  botId: string | null;
}

/** A team id (a workspace's or an organisation's) that is the vendor's own. */
export const isVendor = (me: VendorIdentity, team: string | null | undefined) => !!team && (team === me.teamId || team === me.enterpriseId);

export class Identity {
  private known: VendorIdentity | null = null;
  private asking: Promise<VendorIdentity | null> | null = null;

  constructor(private readonly client: WebClient) {}

  /** Ours from auth.test; null while Slack hasn't answered it. */
  async get(): Promise<VendorIdentity | null> {
    if (this.known) return this.known;
    this.asking ??= this.client.auth
      .test()
      .then((r) => (r.team_id ? (this.known = { teamId: r.team_id, enterpriseId: r.enterprise_id ?? null, botUserId: r.user_id ?? null, botId: r.bot_id ?? null }) : null))
      .catch(() => null)
      .finally(() => {
        this.asking = null;
      });
    return this.asking;
  }

  /** Ours, or the installing workspace an event names when auth.test hasn't answered (no bot ids then). */
  async forEvent(body: { team_id?: string; authorizations?: { team_id?: string | null }[] }): Promise<VendorIdentity | null> {
    const me = await this.get();
    if (me) return me;
    const team = body.authorizations?.[0]?.team_id ?? body.team_id;
    return team ? { teamId: team, botUserId: null, botId: null } : null;
  }
}
