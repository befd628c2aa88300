// Hand-written SQL on the transaction's own connection, for the ingest hot path. On PostgreSQL the statements are
// named, so each connection parses and plans a statement shape once; PGlite has no such cost to save. Parameters
// are passed as text (JSON for structured values) so both drivers read them alike.
import { createHash } from 'node:crypto';
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { ChangeSet } from '../core/changes';
import type { Db } from './connect';
import { TABLES } from './tables';

export type DriverKind = 'postgres' | 'pglite';

export interface RawQuery {
  (text: string, params: (string | null)[]): Promise<Record<string, unknown>[]>;
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let n = names.get(text);
  if (!n) {
    if (names.size > 5000) names.clear();
    n = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, n);
  }
  return n;
}

/** On a transaction: its connection. On the database itself: the pool (a statement of its own, autocommitted). */
export function rawQuery(db: Db, kind: DriverKind): RawQuery {
  const client = (db as unknown as { session: { client: any } }).session.client;
  if (kind === 'postgres')
    return async (text, params) => (await client.query({ name: statementName(text), text, values: params })).rows;
  return async (text, params) => (await client.query(text, params)).rows;
}

/** A connection taken from the pool (PostgreSQL) or the one PGlite connection, for statements outside a transaction. */
export async function heldConnection(db: Db, kind: DriverKind): Promise<{ query: RawQuery; release(): void }> {
  const client = (db as unknown as { session: { client: any } }).session.client;
  if (kind === 'pglite') return { query: async (text, params) => (await client.query(text, params)).rows, release: () => undefined };
  const conn = await client.connect();
  return {
    query: async (text, params) => (await conn.query({ name: statementName(text), text, values: params })).rows,
    release: () => conn.release(),
  };
}

interface ColumnInfo {
  name: string;
  type: string;
}

/** key → column name and SQL type, per table, from the drizzle schema (the single source of both). */
const columnMaps = new Map<Table, Map<string, ColumnInfo>>();
function columnsOf(table: Table): Map<string, ColumnInfo> {
  let m = columnMaps.get(table);
  if (!m) {
    m = new Map(Object.entries(getTableColumns(table)).map(([key, col]) => [key, { name: col.name, type: col.getSQLType() }]));
    columnMaps.set(table, m);
  }
  return m;
}

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

/**
 * SQL fragments for a set of row keys, cached: rows of one kind always carry the same keys, so after warm-up a
 * change set costs one JSON.stringify per table and no string building.
 */
const fragments = new Map<string, { insertCols: string; selectCols: string; recordDef: string; sets: string }>();
function fragmentsFor(tableName: string, table: Table, keys: string[]) {
  const cacheKey = `${tableName}:${keys.join(',')}`;
  let f = fragments.get(cacheKey);
  if (!f) {
    const cols = columnsOf(table);
    const info = keys.map((k) => {
      const c = cols.get(k);
      if (!c) throw new Error(`${tableName} has no column for "${k}"`);
      return { key: k, ...c };
    });
    f = {
      insertCols: info.map((c) => q(c.name)).join(', '),
      selectCols: info.map((c) => `x.${q(c.key)}`).join(', '),
      // JSON keys stay camelCase; json_to_recordset maps them by name onto typed columns.
      recordDef: info.map((c) => `${q(c.key)} ${c.type}`).join(', '),
      sets: info.filter((c) => c.key !== 'id' && c.key !== 'version').map((c) => `${q(c.name)} = x.${q(c.key)}`).join(', '),
    };
    fragments.set(cacheKey, f);
  }
  return f;
}

/**
 * A ChangeSet as one statement of sibling data-modifying CTEs. Each table's inserts are one INSERT … SELECT from
 * json_to_recordset (rows in the order core added them, so serial columns follow causal order); each update is an
 * UPDATE … FROM json_to_record. The text depends only on which tables and columns are touched, so it
 * is a small set of named statements. Foreign keys are checked at the end of the statement, so parents and children
 * may be written side by side; ChangeSet guarantees each row appears once.
 */
export function changeSetSql(cs: ChangeSet): { text: string; params: string[] } | null {
  const parts: string[] = [];
  const params: string[] = [];
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const ins of cs.inserts) {
    const rows = groups.get(ins.table) ?? [];
    rows.push(ins.row as unknown as Record<string, unknown>);
    groups.set(ins.table, rows);
  }
  for (const [name, rows] of groups) {
    const table = TABLES[name as keyof typeof TABLES] as Table;
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
    const f = fragmentsFor(name, table, keys);
    params.push(JSON.stringify(rows));
    parts.push(`INSERT INTO ${q(getTableName(table))} (${f.insertCols}) SELECT ${f.selectCols} FROM json_to_recordset($${params.length}::json) AS x(${f.recordDef})`);
  }
  const guarded: number[] = [];
  for (const u of cs.updates) {
    const table = TABLES[u.table] as Table;
    const patch = { ...(u.patch as Record<string, unknown>), id: u.id };
    const f = fragmentsFor(u.table, table, Object.keys(patch).sort());
    const t = q(getTableName(table));
    // Every change to a case moves its version, so a reader that planned on the old state can tell.
    const sets = [f.sets, u.table === 'cases' ? `"version" = ${t}."version" + 1` : ''].filter(Boolean).join(', ');
    if (!sets) continue;
    params.push(JSON.stringify(patch));
    const guard = cs.guards.find((g) => g.table === u.table && g.id === u.id);
    let where = `${t}."id" = x."id"`;
    if (guard) {
      params.push(String(guard.version));
      where += ` AND ${t}."version" = $${params.length}::int`;
      guarded.push(parts.length);
    }
    parts.push(`UPDATE ${t} SET ${sets} FROM json_to_record($${params.length - (guard ? 1 : 0)}::json) AS x(${f.recordDef}) WHERE ${where}${guard ? ' RETURNING 1' : ''}`);
  }
  for (const g of cs.guards) {
    if (cs.updates.some((u) => u.table === g.table && u.id === g.id)) continue;
    // Nothing to write on the row: a share lock still waits for (and then sees) a concurrent writer of the case.
    params.push(g.id, String(g.version));
    guarded.push(parts.length);
    parts.push(`SELECT 1 FROM ${q(getTableName(TABLES[g.table] as Table))} WHERE "id" = $${params.length - 1}::uuid AND "version" = $${params.length}::int FOR SHARE`);
  }
  if (guarded.length) {
    // One statement, so a failed guard rolls back every write in it.
    const ok = guarded.map((i) => `(SELECT count(*) FROM w${i}) = 1`).join(' AND ');
    return { text: `WITH ${parts.map((p, i) => `w${i} AS (${p})`).join(', ')} SELECT CASE WHEN ${ok} THEN 1 ELSE sb_conflict() END`, params };
  }
  if (!parts.length) return null;
  if (parts.length === 1) return { text: parts[0], params };
  return { text: `WITH ${parts.map((p, i) => `w${i} AS (${p})`).join(', ')} SELECT 1`, params };
}
