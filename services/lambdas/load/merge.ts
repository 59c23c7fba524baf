/**
 * The load's SQL, built from the table specs (through ./tables.ts): each chunk of a table's rows
 * is staged as one `unnest` of typed column arrays and merged in the same statement.
 *
 * - dim_date: ON CONFLICT DO NOTHING.
 * - other dimensions: newest wins through pipeline.dimension_version.
 * - facts: ON CONFLICT ON CONSTRAINT <fact>_version_key DO NOTHING.
 *
 * Every statement returns one row: the chunk's inserted and updated counts and its newest source
 * update (typed by MERGE_RESULT); a fact statement also the surrogate ids it inserted (the unit's
 * rows, recorded so a later generation of the unit can replace them: generations.ts).
 *
 * A replacing load (a unit's generation >= 2, `replacing`) differs in one place: a dimension row
 * whose stored version EQUALS the incoming one is overwritten too (the earlier generation may have
 * written it wrongly at that version); a strictly newer stored version still wins.
 */
import { type FragmentSqlToken, type IdentifierSqlToken, type QuerySqlToken, sql } from 'slonik';
import { z } from 'zod';
import { isValueOf, type ValueKind } from '../../../shared/schema/value-kinds.ts';
import { PIPELINE_SCHEMA } from '../../../shared/schema/warehouse.ts';
import { arrayLiteral } from './array-literal.ts';
import { BadUnitError } from './errors.ts';
import {
  type DateDimensionLoad,
  type FactLoad,
  type LoadColumn,
  type LoadTable,
  SOURCE_VERSION_COLUMN,
  type VersionedDimensionLoad,
} from './tables.ts';

export type Row = Readonly<Record<string, unknown>>;
/** A row's values in its table's column order, checked (see `stageRow`). */
export type StagedRow = unknown[];

const DIMENSION_VERSION = sql.identifier([PIPELINE_SCHEMA, 'dimension_version']);

/** Static staging types per value kind (time and timestamp keep milliseconds). */
const STAGING_TYPE: Readonly<Record<ValueKind, FragmentSqlToken>> = {
  int: sql.fragment`int`,
  decimal: sql.fragment`numeric`,
  text: sql.fragment`varchar`,
  date: sql.fragment`date`,
  time: sql.fragment`time(3)`,
  timestamp: sql.fragment`timestamp(3)`,
  boolean: sql.fragment`boolean`,
};

/** The spec's columns of `row` in order, refusing missing, unknown, null-in-NN and mistyped values. */
export function stageRow(table: LoadTable, row: Row, index: number): StagedRow {
  const out: StagedRow = new Array(table.columns.length);
  let position = 0;
  for (const column of table.columns) {
    const value = row[column.name];
    if (value === undefined || value === null) {
      if (value === undefined && !Object.hasOwn(row, column.name))
        throw new BadUnitError(`${table.name} row ${index}: column ${column.name} is missing`);
      if (!column.nullable) throw new BadUnitError(`${table.name} row ${index}: ${column.name} is null`);
      out[position++] = null;
      continue;
    }
    if (!isValueOf(column.kind, value)) {
      const shown = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
      throw new BadUnitError(`${table.name} row ${index}: ${column.name} = ${shown} is not a ${column.kind}`);
    }
    out[position++] = value;
  }
  const keys = Object.keys(row);
  if (keys.length !== table.columns.length) {
    const known = new Set(table.columns.map((c) => c.name));
    const unknown = keys.filter((k) => !known.has(k));
    throw new BadUnitError(`${table.name} row ${index}: unknown column(s) ${unknown.join(', ')}`);
  }
  return out;
}

const ident = (name: string) => sql.identifier([name]);
const list = (
  columns: readonly LoadColumn[],
  map: (c: LoadColumn) => FragmentSqlToken | IdentifierSqlToken,
) => sql.join(columns.map(map), sql.fragment`, `);

/**
 * `unnest($1::int[], $2::varchar[], …) AS r("a", "b", …)`: the chunk as a typed record set, one
 * array parameter per column (measured faster than one json_to_recordset parameter), each sent as
 * its array literal (array-literal.ts).
 */
export function recordSet(table: LoadTable, chunk: readonly StagedRow[]): FragmentSqlToken {
  const names = list(table.columns, (c) => ident(c.name));
  const arrays = table.columns.map(
    (c, i) => sql.fragment`${arrayLiteral(chunk, i)}::${STAGING_TYPE[c.kind]}[]`,
  );
  return sql.fragment`unnest(${sql.join(arrays, sql.fragment`, `)}) AS r(${names})`;
}

/** What every merge statement returns: one row of counts for its chunk. */
export const MERGE_RESULT = z.object({
  inserted: z.number().int(),
  updated: z.number().int(),
  newest: z.string().nullable(),
  /** Facts only: the surrogate ids of the rows inserted. */
  ids: z.array(z.number().int()).optional(),
});
const merge = sql.type(MERGE_RESULT);

function mergeDate(table: DateDimensionLoad, chunk: readonly StagedRow[]) {
  const columns = list(table.columns, (c) => ident(c.name));
  const key = ident(table.key);
  return merge`
    WITH written AS (
      INSERT INTO ${ident(table.name)} (${columns})
      SELECT DISTINCT ON (r.${key}) ${columns} FROM ${recordSet(table, chunk)}
      ORDER BY r.${key}
      ON CONFLICT (${key}) DO NOTHING
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
 *
 * `candidates` first drops, without a lock, every row whose id already has a committed version at
 * least as new (a stored version never decreases, so that row can never win). This matters because
 * ON CONFLICT DO UPDATE locks the conflicting row even when its WHERE is false: without the filter,
 * every part of a split unit (each carries the same shared dimensions) and every incremental load
 * re-applying an unchanged row would lock those version rows until it commits, serialising
 * otherwise independent loads behind each other (and writing a WAL record per lock). A version
 * committed after the statement's snapshot is not seen here, so its row stays a candidate and the
 * upsert's locked re-check decides, as before. A replacing load (equal versions overwrite) drops
 * only strictly newer ones: the filter always uses the negation of the upsert's condition.
 */
function mergeDimension(table: VersionedDimensionLoad, chunk: readonly StagedRow[], replacing: boolean) {
  const key = ident(table.key);
  const version = ident(SOURCE_VERSION_COLUMN);
  const data = table.columns.filter((c) => c.name !== SOURCE_VERSION_COLUMN);
  const columns = list(data, (c) => ident(c.name));
  const fromIncoming = list(data, (c) => sql.fragment`i.${ident(c.name)}`);
  const assignments = list(
    data.filter((c) => c.name !== table.key),
    (c) => sql.fragment`${ident(c.name)} = EXCLUDED.${ident(c.name)}`,
  );
  return merge`
    WITH incoming AS (
      SELECT DISTINCT ON (r.${key}) r.* FROM ${recordSet(table, chunk)}
      ORDER BY r.${key}, r.${version} DESC
    ),
    candidates AS (
      SELECT i.${key}, i.${version} FROM incoming i
      WHERE NOT EXISTS (
        SELECT FROM ${DIMENSION_VERSION} c
        WHERE c."dimension" = ${table.name} AND c."id" = i.${key}
          AND c."version" ${replacing ? sql.fragment`>` : sql.fragment`>=`} i.${version}
      )
    ),
    won AS (
      INSERT INTO ${DIMENSION_VERSION} AS v ("dimension", "id", "version")
      SELECT ${table.name}, i.${key}, i.${version} FROM candidates i ORDER BY i.${key}
      ON CONFLICT ("dimension", "id") DO UPDATE SET "version" = EXCLUDED."version"
        WHERE v."version" ${replacing ? sql.fragment`<=` : sql.fragment`<`} EXCLUDED."version"
      RETURNING v."id"
    ),
    written AS (
      INSERT INTO ${ident(table.name)} AS d (${columns})
      SELECT ${fromIncoming} FROM incoming i JOIN won w ON w."id" = i.${key}
      ORDER BY i.${key}
      ON CONFLICT (${key}) DO UPDATE SET ${assignments}
      RETURNING (d.xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted,
      count(*) FILTER (WHERE NOT inserted) AS updated,
      (SELECT max(${version}) FROM incoming) AS newest
    FROM written`;
}

function mergeFact(table: FactLoad, chunk: readonly StagedRow[]) {
  const columns = list(table.columns, (c) => ident(c.name));
  return merge`
    WITH incoming AS (SELECT * FROM ${recordSet(table, chunk)}),
    written AS (
      INSERT INTO ${ident(table.name)} (${columns})
      SELECT ${columns} FROM incoming
      ORDER BY ${ident(table.naturalId)}, "last_updated_date", "last_updated_time"
      ON CONFLICT ON CONSTRAINT ${ident(table.versionConstraint)} DO NOTHING
      RETURNING ${ident(table.surrogateKey)} AS id
    )
    SELECT (SELECT count(*) FROM written) AS inserted, 0 AS updated,
      (SELECT max("last_updated_date" + "last_updated_time") FROM incoming) AS newest,
      (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM written) AS ids`;
}

/** The staging-and-merge statement of one chunk of `table`'s rows. */
export function mergeStatement(
  table: LoadTable,
  chunk: readonly StagedRow[],
  replacing = false,
): QuerySqlToken<typeof MERGE_RESULT> {
  switch (table.role) {
    case 'date':
      return mergeDate(table, chunk);
    case 'dimension':
      return mergeDimension(table, chunk, replacing);
    case 'fact':
      return mergeFact(table, chunk);
  }
}
