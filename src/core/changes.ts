// A unit of work: core decides, records every row it wants written here, and the store applies the whole set in
// the caller's transaction. Updates to one row are merged so each row is written once.
import type {
  CallRequestRow, CaseRow, ChannelStateRow, ClientLinkRow, ClientRow, ClockEventRow, ClockRow, ContactRow, EtaRow, FeatureRequestRow, IdentityRow,
  InboundDeliveryRow, ManagerRow, MessageRow, MilestoneRow, OutboxRow, PlatformIdRow, TimelineRow,
} from './records';

export interface TableRows {
  inboundDeliveries: InboundDeliveryRow;
  managers: ManagerRow;
  clients: ClientRow;
  contacts: ContactRow;
  identities: IdentityRow;
  clientLinks: ClientLinkRow;
  cases: CaseRow;
  messages: MessageRow;
  messagePlatformIds: PlatformIdRow;
  timeline: TimelineRow;
  slaClocks: ClockRow;
  clockEvents: ClockEventRow;
  etas: EtaRow;
  milestones: MilestoneRow;
  featureRequests: FeatureRequestRow;
  callRequests: CallRequestRow;
  outbox: OutboxRow;
  channelState: ChannelStateRow;
}
export type TableName = keyof TableRows;
/** Tables whose rows have a string `id` and can be updated. */
export type UpdatableTable = 'managers' | 'clients' | 'cases' | 'messages' | 'slaClocks' | 'etas' | 'milestones' | 'featureRequests' | 'callRequests';

export interface Insert<T extends TableName = TableName> {
  table: T;
  row: TableRows[T];
}
export interface Update<T extends UpdatableTable = UpdatableTable> {
  table: T;
  id: string;
  patch: Partial<TableRows[T]>;
}

/** The change set applies only if the case is still at this version (optimistic concurrency). */
export interface Guard {
  table: 'cases';
  id: string;
  version: number;
}

/** Rows written whether or not they exist (by their primary key): the last value wins. */
export type UpsertTable = 'channelState';

export class ChangeSet {
  readonly inserts: Insert[] = [];
  readonly upserts: Insert<UpsertTable>[] = [];
  readonly guards: Guard[] = [];
  /** Set by a store that decided from remembered settings: apply only if they haven't changed since. */
  configVersion?: number;
  private readonly updateMap = new Map<string, Update>();

  insert<T extends TableName>(table: T, row: TableRows[T]): TableRows[T] {
    this.inserts.push({ table, row } as Insert);
    return row;
  }

  upsert<T extends UpsertTable>(table: T, row: TableRows[T]): void {
    this.upserts.push({ table, row } as Insert<UpsertTable>);
  }

  update<T extends UpdatableTable>(table: T, id: string, patch: Partial<TableRows[T]>): void {
    const pending = this.inserts.find((i) => i.table === table && (i.row as { id?: string }).id === id);
    if (pending) {
      Object.assign(pending.row, patch);
      return;
    }
    const key = `${table}:${id}`;
    const existing = this.updateMap.get(key);
    if (existing) Object.assign(existing.patch, patch);
    else this.updateMap.set(key, { table, id, patch: { ...patch } } as Update);
  }

  /** Commit only if the case is still at the version that was read. */
  guard(table: 'cases', id: string, version: number): void {
    this.guards.push({ table, id, version });
  }

  get updates(): Update[] {
    return [...this.updateMap.values()];
  }

  rows<T extends TableName>(table: T): TableRows[T][] {
    return this.inserts.filter((i) => i.table === table).map((i) => i.row as TableRows[T]);
  }
}
