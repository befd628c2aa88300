// Names and pictures of Slack users, from users.info, kept for an hour: the name a client's contact is created
// with (when the event carries no user_profile) and the picture a manager's reply is posted under. A lookup that
// fails costs nothing but the nicety: the user id stands in for the name, the bot's own picture for the manager's.
import type { WebClient } from '@slack/web-api';

const TTL_MS = 3600_000;
const MAX = 2000;

interface Profile {
  name: string | null;
  picture: string | null;
}

export interface EventProfile {
  real_name?: string;
  display_name?: string;
  name?: string;
}

export class People {
  private cache = new Map<string, { at: number; p: Profile }>();

  constructor(private readonly client: WebClient) {}

  async nameOf(user: string, profile?: EventProfile): Promise<string> {
    const given = profile?.real_name || profile?.display_name || profile?.name;
    if (given) return given.slice(0, 200);
    return (await this.profile(user)).name ?? user;
  }

  async pictureOf(user: string): Promise<string | null> {
    return (await this.profile(user)).picture;
  }

  private async profile(user: string): Promise<Profile> {
    const hit = this.cache.get(user);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.p;
    let p: Profile = { name: null, picture: null };
    try {
      const r = await this.client.users.info({ user });
      const u = r.user;
      const pic = u?.profile?.image_192 || u?.profile?.image_72 || null;
      p = { name: u?.profile?.real_name || u?.real_name || u?.profile?.display_name || u?.name || null, picture: pic && /^https:\/\//.test(pic) ? pic : null };
    } catch {
      // Not cached: asked again next time.
      return p;
    }
    if (this.cache.size >= MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(user, { at: Date.now(), p });
    return p;
  }
}
