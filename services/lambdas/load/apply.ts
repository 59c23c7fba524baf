import {
  type DatabasePool,
  type DatabaseTransactionConnection,
  type FragmentSqlToken,
  type IdentifierSqlToken,
  sql,
} from 'slonik';
import { type ProcessedManifest, validateProcessedManifest } from '../../../shared/lake/index.ts';
import { PIPELINE_SCHEMA, type WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { BadUnitError } from './errors.ts';
import {
  LOAD_ORDER,
  LOAD_TABLES,
  type LoadColumn,
  type TableSpec,
  type ValueKind,
  type VersionedDimensionSpec,
} from './tables.ts';

/**
 * The core of the load: one processed unit → one warehouse transaction, exactly once in effect.
 *
 * 1. The ledger row (unit_id = manifest.unitId) is claimed FIRST with INSERT … ON CONFLICT DO
 *    NOTHING RETURNING. No row back means the unit was applied already (or is being applied right
 *    now by another connection, which then blocks us on the unique index until it commits): the
 *    result is 'already-applied' and nothing changes, whatever DynamoDB remembers.
 * 2. Each table is staged in chunks as one `unnest` of column arrays per chunk (set-based, never
 *    row by row) and merged in the same statement: dim_date ON CONFLICT DO NOTHING; other dimensions
 *    newest-wins through pipeline.dimension_version; facts ON CONFLICT ON CONSTRAINT
 *    <fact>_version_key DO NOTHING. Dimensions (dim_date included) go before facts.
 * 3. The ledger row gets the per-table counts and the newest source update, then COMMIT.
 *
 * Rows are read from `tables` inside the transaction callback. Slonik's own transaction retry is
 * switched off (limit 0): it would replay the callback on a serialization failure, and a one-shot
 * async iterable would then be staged empty and the ledger row committed over missing data.
 * Retries happen one level up (processor.ts, through errors.ts withRetry), which rebuilds the unit
 * (FetchedUnit.open) for every attempt.
 */

export type Row = Readonly<Record<string, unknown>>;
export type RowSource = Iterable<Row> | AsyncIterable<Row>;

export interface ProcessedUnit {
  readonly manifest: ProcessedManifest;
  /** Per warehouse table, the unit's rows with exact values (see tables.ts for the kinds). */
  readonly tables: Readonly<Partial<Record<WarehouseTable, RowSource>>>;
}

export interface TableCounts {
  readonly received: number;
  readonly inserted: number;
  readonly updated: number;
}

export type ApplyResult =
  | {
      readonly status: 'applied';
      readonly unitId: string;
      readonly rows: Readonly<Partial<Record<WarehouseTable, TableCounts>>>;
      readonly newestSourceUpdate: string | null;
    }
  | { readonly status: 'already-applied'; readonly unitId: string };

export interface ApplyOptions {
  /** Rows per staging statement (one JSON parameter each). */
  readonly chunkRows?: number;
}

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
const DIMENSION_VERSION = sql.identifier([PIPELINE_SCHEMA, 'dimension_version']);

/** Static staging types per value kind (time and timestamp keep milliseconds). */
const PG_TYPE: Readonly<Record<ValueKind, FragmentSqlToken>> = {
  int: sql.fragment`int`,
  decimal: sql.fragment`numeric`,
  text: sql.fragment`varchar`,
  date: sql.fragment`date`,
  time: sql.fragment`time(3)`,
  timestamp: sql.fragment`timestamp(3)`,
  boolean: sql.fragment`boolean`,
};

const DECIMAL = /^-?\d+(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;

const IS_KIND: Readonly<Record<ValueKind, (value: unknown) => boolean>> = {
  int: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2_147_483_647,
  decimal: (v) => typeof v === 'string' && DECIMAL.test(v),
  text: (v) => typeof v === 'string',
  date: (v) => typeof v === 'string' && DATE.test(v),
  time: (v) => typeof v === 'string' && TIME.test(v),
  timestamp: (v) => typeof v === 'string' && TIMESTAMP.test(v),
  boolean: (v) => typeof v === 'boolean',
};

type Tuple = unknown[];

/** The spec's columns of `row` as a tuple, refusing missing, unknown, null-in-NN and mistyped values. */
function stageRow(spec: TableSpec, row: Row, index: number): Tuple {
  const out: Tuple = new Array(spec.columns.length);
  let position = 0;
  for (const column of spec.columns) {
    const value = row[column.name];
    if (value === undefined || value === null) {
      if (value === undefined && !Object.hasOwn(row, column.name))
        throw new BadUnitError(`${spec.name} row ${index}: column ${column.name} is missing`);
      if (!column.nullable) throw new BadUnitError(`${spec.name} row ${index}: ${column.name} is null`);
      out[position++] = null;
      continue;
    }
    if (!IS_KIND[column.kind](value)) {
      const shown = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
      throw new BadUnitError(`${spec.name} row ${index}: ${column.name} = ${shown} is not a ${column.kind}`);
    }
    out[position++] = value;
  }
  const keys = Object.keys(row);
  if (keys.length !== spec.columns.length) {
    const known = new Set(spec.columns.map((c) => c.name));
    const unknown = keys.filter((k) => !known.has(k));
    throw new BadUnitError(`${spec.name} row ${index}: unknown column(s) ${unknown.join(', ')}`);
  }
  return out;
}

async function* chunks(source: RowSource, spec: TableSpec, size: number): AsyncGenerator<Tuple[]> {
  let chunk: Tuple[] = [];
  let index = 0;
  for await (const row of source) {
    chunk.push(stageRow(spec, row, index++));
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const ident = (name: string) => sql.identifier([name]);
const list = (
  columns: readonly LoadColumn[],
  map: (c: LoadColumn) => FragmentSqlToken | IdentifierSqlToken,
) => sql.join(columns.map(map), sql.fragment`, `);

/**
 * `unnest($1::int[], $2::varchar[], …) AS r("a", "b", …)`: the chunk as a typed record set, one
 * array parameter per column (measured faster than one json_to_recordset parameter).
 */
function recordSet(spec: TableSpec, chunk: readonly Tuple[]): FragmentSqlToken {
  const names = list(spec.columns, (c) => ident(c.name));
  const types = spec.columns.map((c) => PG_TYPE[c.kind]);
  return sql.fragment`${sql.unnest(chunk, types)} AS r(${names})`;
}

interface ChunkResult {
  readonly inserted: number;
  readonly updated: number;
  readonly newest: string | null;
}

function mergeDate(spec: TableSpec, chunk: readonly Tuple[]) {
  const columns = list(spec.columns, (c) => ident(c.name));
  return sql.unsafe`
    WITH written AS (
      INSERT INTO ${ident(spec.name)} (${columns})
      SELECT DISTINCT ON (r."date_id") ${columns} FROM ${recordSet(spec, chunk)}
      ORDER BY r."date_id"
      ON CONFLICT ("date_id") DO NOTHING
      RETURNING 1
    )
    SELECT count(*) AS inserted, 0 AS updated, NULL::timestamp(3) AS newest FROM written`;
}

/**
 * Newest wins: the version row is upserted only when the incoming source_version is strictly
 * newer (or the id is new); the dimension row is written only for the ids whose version row won.
 * The upsert takes a row lock on each dimension_version row it touches, so two concurrent loads of
 * one id serialise there and the second re-checks its version against the first's committed one.
 * Ids are locked in ascending order so two loads touching overlapping ids do not deadlock.
 */
function mergeDimension(spec: VersionedDimensionSpec, chunk: readonly Tuple[]) {
  const key = ident(spec.key);
  const data = spec.columns.filter((c) => c.name !== 'source_version');
  const columns = list(data, (c) => ident(c.name));
  const fromIncoming = list(data, (c) => sql.fragment`i.${ident(c.name)}`);
  const assignments = list(
    data.filter((c) => c.name !== spec.key),
    (c) => sql.fragment`${ident(c.name)} = EXCLUDED.${ident(c.name)}`,
  );
  return sql.unsafe`
    WITH incoming AS (
      SELECT DISTINCT ON (r.${key}) r.* FROM ${recordSet(spec, chunk)}
      ORDER BY r.${key}, r."source_version" DESC
    ),
    won AS (
      INSERT INTO ${DIMENSION_VERSION} AS v ("dimension", "id", "version")
      SELECT ${spec.name}, i.${key}, i."source_version" FROM incoming i ORDER BY i.${key}
      ON CONFLICT ("dimension", "id") DO UPDATE SET "version" = EXCLUDED."version"
        WHERE v."version" < EXCLUDED."version"
      RETURNING v."id"
    ),
    written AS (
      INSERT INTO ${ident(spec.name)} AS d (${columns})
      SELECT ${fromIncoming} FROM incoming i JOIN won w ON w."id" = i.${key}
      ORDER BY i.${key}
      ON CONFLICT (${key}) DO UPDATE SET ${assignments}
      RETURNING (d.xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted,
      count(*) FILTER (WHERE NOT inserted) AS updated,
      (SELECT max("source_version") FROM incoming) AS newest
    FROM written`;
}

function mergeFact(spec: TableSpec & { role: 'fact' }, chunk: readonly Tuple[]) {
  const columns = list(spec.columns, (c) => ident(c.name));
  return sql.unsafe`
    WITH incoming AS (SELECT * FROM ${recordSet(spec, chunk)}),
    written AS (
      INSERT INTO ${ident(spec.name)} (${columns})
      SELECT ${columns} FROM incoming
      ORDER BY ${ident(spec.naturalId)}, "last_updated_date", "last_updated_time"
      ON CONFLICT ON CONSTRAINT ${ident(spec.versionConstraint)} DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM written) AS inserted, 0 AS updated,
      (SELECT max("last_updated_date" + "last_updated_time") FROM incoming) AS newest`;
}

function mergeStatement(spec: TableSpec, chunk: readonly Tuple[]) {
  switch (spec.role) {
    case 'date':
      return mergeDate(spec, chunk);
    case 'dimension':
      return mergeDimension(spec, chunk);
    case 'fact':
      return mergeFact(spec, chunk);
  }
}

function expectedRows(manifest: ProcessedManifest): Map<WarehouseTable, number> {
  const expected = new Map<WarehouseTable, number>();
  for (const o of manifest.objects) expected.set(o.table, (expected.get(o.table) ?? 0) + o.rows);
  return expected;
}

async function applyInTransaction(
  tx: DatabaseTransactionConnection,
  unit: ProcessedUnit,
  chunkRows: number,
): Promise<ApplyResult> {
  const { manifest } = unit;
  const claimed = await tx.maybeOneFirst(sql.unsafe`
    INSERT INTO ${LEDGER} ("unit_id", "run_id", "rows", "newest_source_update")
    VALUES (${manifest.unitId}, ${manifest.runId}, '{}'::jsonb, ${manifest.newestSourceUpdate}::timestamp(3))
    ON CONFLICT ("unit_id") DO NOTHING
    RETURNING "unit_id"`);
  if (claimed === null) return { status: 'already-applied', unitId: manifest.unitId };

  const expected = expectedRows(manifest);
  for (const table of Object.keys(unit.tables)) {
    if (!Object.hasOwn(LOAD_TABLES, table))
      throw new BadUnitError(`unit ${manifest.unitId}: unknown table ${table}`);
  }
  const rows: Partial<Record<WarehouseTable, TableCounts>> = {};
  const newest: string[] = manifest.newestSourceUpdate ? [manifest.newestSourceUpdate] : [];
  for (const table of LOAD_ORDER) {
    const source = unit.tables[table];
    if (source === undefined) {
      if (expected.get(table)) throw new BadUnitError(`unit ${manifest.unitId}: no rows given for ${table}`);
      continue;
    }
    const spec = LOAD_TABLES[table];
    let received = 0;
    let inserted = 0;
    let updated = 0;
    for await (const chunk of chunks(source, spec, chunkRows)) {
      const result = (await tx.one(mergeStatement(spec, chunk))) as unknown as ChunkResult;
      received += chunk.length;
      inserted += Number(result.inserted);
      updated += Number(result.updated);
      if (result.newest) newest.push(result.newest);
    }
    const listed = expected.get(table) ?? 0;
    if (received !== listed)
      throw new BadUnitError(
        `unit ${manifest.unitId}: ${table} has ${received} rows, the manifest lists ${listed}`,
      );
    rows[table] = { received, inserted, updated };
  }

  const newestSourceUpdate = await tx.oneFirst(sql.unsafe`
    UPDATE ${LEDGER} SET "rows" = ${sql.jsonb(rows as Record<string, TableCounts>)},
      "newest_source_update" = (SELECT max(v::timestamp(3)) FROM unnest(${sql.array(newest, 'text')}) AS v)
    WHERE "unit_id" = ${manifest.unitId}
    RETURNING to_char("newest_source_update", 'YYYY-MM-DD HH24:MI:SS.MS')`);
  return {
    status: 'applied',
    unitId: manifest.unitId,
    rows,
    newestSourceUpdate: newestSourceUpdate as string | null,
  };
}

/** One attempt: the whole unit in one transaction, or nothing. Throws the database's error as is. */
export async function applyProcessedUnit(
  pool: DatabasePool,
  unit: ProcessedUnit,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  validateProcessedManifest(unit.manifest, 'processed manifest', BadUnitError);
  const chunkRows = options.chunkRows ?? 5_000;
  return pool.transaction((tx) => applyInTransaction(tx, unit, chunkRows), 0);
}
