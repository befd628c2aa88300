// Core's table names → drizzle tables. The assignments below fail to compile when core's row shapes and the
// schema drift apart.
import type { TableName, TableRows } from '../core/changes';
import * as s from './schema';

export const TABLES = {
  inboundDeliveries: s.inboundDeliveries,
  managers: s.managers,
  clients: s.clients,
  contacts: s.contacts,
  identities: s.identities,
  clientLinks: s.clientLinks,
  cases: s.cases,
  messages: s.messages,
  messagePlatformIds: s.messagePlatformIds,
  timeline: s.timeline,
  slaClocks: s.slaClocks,
  clockEvents: s.clockEvents,
  etas: s.etas,
  milestones: s.milestones,
  featureRequests: s.featureRequests,
  callRequests: s.callRequests,
  outbox: s.outbox,
  channelState: s.channelState,
} as const satisfies Record<TableName, unknown>;

type Check<T extends TableName> = TableRows[T] extends (typeof TABLES)[T]['$inferInsert'] ? true : never;
export const rowShapesMatch: { [T in TableName]: Check<T> } = {
  inboundDeliveries: true, managers: true, clients: true, contacts: true, identities: true, clientLinks: true, cases: true, messages: true, messagePlatformIds: true,
  timeline: true, slaClocks: true, clockEvents: true, etas: true, milestones: true, featureRequests: true,
  callRequests: true, outbox: true, channelState: true,
};
