import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connect';
import * as s from '../db/schema';
import type { ChannelState } from './module';

/** A channel's small durable state, one row per key, in the service's database (so it moves with the data). */
export function channelState(db: Db, channel: string): ChannelState {
  return {
    async get<T>(key: string) {
      const [row] = await db.select().from(s.channelState).where(and(eq(s.channelState.channel, channel), eq(s.channelState.key, key)));
      return (row?.value as T) ?? null;
    },
    async init<T>(key: string, value: T) {
      await db.insert(s.channelState).values({ channel, key, value: value as never }).onConflictDoNothing();
      const [row] = await db.select().from(s.channelState).where(and(eq(s.channelState.channel, channel), eq(s.channelState.key, key)));
      return row.value as T;
    },
    async set(key, value) {
      await db
        .insert(s.channelState)
        .values({ channel, key, value: value as never })
        .onConflictDoUpdate({ target: [s.channelState.channel, s.channelState.key], set: { value: value as never, updatedAt: sql`now()` } });
    },
  };
}
