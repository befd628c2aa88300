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
  /** `name`: the prepared statement's name when the caller already has it (saves hashing the text). */
  (text: string, params: (string | null)[], name?: string): Promise<Record<string, unknown>[]>;
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
    return async (text, params, name) => (await client.query({ name: name ?? statementName(text), text, values: params })).rows;
  return async (text, params) => (await client.query(text, params)).rows;
}

/** A connection taken from the pool (PostgreSQL) or the one PGlite connection, for statements outside a transaction. */
export async function heldConnection(db: Db, kind: DriverKind): Promise<{ query: RawQuery; release(): void }> {
  const client = (db as unknown as { session: { client: any } }).session.client;
  if (kind === 'pglite') return { query: async (text, params) => (await client.query(text, params)).rows, release: () => undefined };
  const conn = await client.connect();
  return {
    query: async (text, params, name) => (await conn.query({ name: name ?? statementName(text), text, values: params })).rows,
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
interface Fragments {
  id: number;
  insertCols: string;
  selectCols: string;
  recordDef: string;
  sets: string;
}
const fragments = new Map<string, Fragments>();
function fragmentsFor(tableName: string, table: Table, keys: string[]): Fragments {
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
      id: fragments.size + 1,
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
 * UPDATE … FROM json_to_record. The text depends only on which tables and columns are touched, so it is built once
 * per shape, cached with its statement name, and each connection prepares it once. Foreign keys are checked at the
 * end of the statement, so parents and children may be written side by side; ChangeSet guarantees each row appears
 * once.
 */
export function changeSetSql(cs: ChangeSet): { text: string; params: string[]; name: string } | null {
  const parts: Part[] = [];
  const params: string[] = [];
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const ins of cs.inserts) {
    const rows = groups.get(ins.table) ?? [];
    rows.push(ins.row as unknown as Record<string, unknown>);
    groups.set(ins.table, rows);
  }
  for (const [name, rows] of groups) {
    const table = TABLES[name as keyof typeof TABLES] as Table;
    const keys = rows.length === 1 ? Object.keys(rows[0]).sort() : [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
    parts.push({ kind: 'insert', table, frag: fragmentsFor(name, table, keys) });
    params.push(JSON.stringify(rows));
  }
  for (const up of cs.upserts) {
    const table = TABLES[up.table] as Table;
    parts.push({ kind: 'upsert', table, frag: fragmentsFor(up.table, table, Object.keys(up.row as object).sort()), conflict: UPSERT_KEYS[up.table] });
    params.push(JSON.stringify([up.row]));
  }
  const updates = cs.updates;
  for (const u of updates) {
    const table = TABLES[u.table] as Table;
    const patch = { ...(u.patch as Record<string, unknown>), id: u.id };
    const frag = fragmentsFor(u.table, table, Object.keys(patch).sort());
    if (!frag.sets && u.table !== 'cases') continue;
    const guard = cs.guards.find((g) => g.table === u.table && g.id === u.id);
    parts.push({ kind: 'update', table, frag, guarded: !!guard });
    params.push(JSON.stringify(patch));
    if (guard) params.push(String(guard.version));
  }
  const shares = cs.guards.filter((g) => !updates.some((u) => u.table === g.table && u.id === g.id));
  if (shares.length > 1) {
    // Many guards (a group commit's members) are one part whatever their number, so the statement's shape — and its
    // prepared statement — doesn't change with the batch size.
    parts.push({ kind: 'shares', table: TABLES.cases as Table });
    params.push(JSON.stringify(shares.map((g) => ({ id: g.id, version: g.version }))), String(shares.length));
  } else
    for (const g of shares) {
      parts.push({ kind: 'share', table: TABLES[g.table] as Table });
      params.push(g.id, String(g.version));
    }
  if (cs.configVersion !== undefined) {
    parts.push({ kind: 'config', table: TABLES.cases as Table });
    params.push(String(cs.configVersion));
  }
  if (!parts.length) return null;
  const shape = parts.map((p) => `${p.kind}:${p.frag ? p.frag.id : getTableName(p.table)}${p.guarded ? 'g' : ''}`).join(',');
  let st = statements.get(shape);
  if (!st) {
    const text = statementText(parts);
    st = { text, name: statementName(text) };
    statements.set(shape, st);
  }
  return { ...st, params };
}

const statements = new Map<string, { text: string; name: string }>();

interface Part {
  kind: 'insert' | 'upsert' | 'update' | 'share' | 'shares' | 'config';
  table: Table;
  frag?: Fragments;
  guarded?: boolean;
  /** Upserts: the primary key columns. */
  conflict?: string[];
}

const UPSERT_KEYS: Record<string, string[]> = { channelState: ['channel', 'key'] };

function statementText(parts: Part[]): string {
  let n = 0;
  const guarded: number[] = [];
  /** Guarded parts whose expected row count is a parameter rather than 1. */
  const expected = new Map<number, number>();
  const sql = parts.map((p, i) => {
    const t = q(getTableName(p.table));
    if (p.kind === 'insert') return `INSERT INTO ${t} (${p.frag!.insertCols}) SELECT ${p.frag!.selectCols} FROM json_to_recordset($${++n}::json) AS x(${p.frag!.recordDef})`;
    if (p.kind === 'upsert') {
      const cols = columnsOf(p.table);
      const key = p.conflict!.map((k) => q(cols.get(k)!.name)).join(', ');
      const sets = p.frag!.insertCols.split(', ').filter((c) => !key.split(', ').includes(c)).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
      return `INSERT INTO ${t} (${p.frag!.insertCols}) SELECT ${p.frag!.selectCols} FROM json_to_recordset($${++n}::json) AS x(${p.frag!.recordDef}) ON CONFLICT (${key}) DO UPDATE SET ${sets}`;
    }
    if (p.kind === 'update') {
      // Every change to a case moves its version, so a reader that planned on the old state can tell.
      const sets = [p.frag!.sets, getTableName(p.table) === 'cases' ? `"version" = ${t}."version" + 1` : ''].filter(Boolean).join(', ');
      const json = ++n;
      if (p.guarded) guarded.push(i);
      const where = p.guarded ? `${t}."id" = x."id" AND ${t}."version" = $${++n}::int RETURNING 1` : `${t}."id" = x."id"`;
      return `UPDATE ${t} SET ${sets} FROM json_to_record($${json}::json) AS x(${p.frag!.recordDef}) WHERE ${where}`;
    }
    guarded.push(i);
    if (p.kind === 'config') return `SELECT 1 FROM config_version WHERE id = 1 AND v = $${++n}::bigint`;
    if (p.kind === 'shares') {
      const json = ++n;
      expected.set(i, ++n);
      return `SELECT c."id" FROM ${t} c JOIN json_to_recordset($${json}::json) AS g("id" uuid, "version" int) ON c."id" = g."id" AND c."version" = g."version" FOR SHARE OF c`;
    }
    // Nothing to write on the row: a share lock still waits for (and then sees) a concurrent writer of the case.
    const id = ++n;
    return `SELECT 1 FROM ${t} WHERE "id" = $${id}::uuid AND "version" = $${++n}::int FOR SHARE`;
  });
  if (guarded.length) {
    // One statement, so a failed guard rolls back every write in it.
    const ok = guarded.map((i) => `(SELECT count(*) FROM w${i}) = ${expected.has(i) ? `$${expected.get(i)}::int` : '1'}`).join(' AND ');
    return `WITH ${sql.map((p, i) => `w${i} AS (${p})`).join(', ')} SELECT CASE WHEN ${ok} THEN 1 ELSE sb_conflict() END`;
  }
  if (sql.length === 1) return sql[0];
  return `WITH ${sql.map((p, i) => `w${i} AS (${p})`).join(', ')} SELECT 1`;
}
