import { type DatabasePool, type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import {
  generationOf,
  type ProcessedManifest,
  validateProcessedManifest,
} from '../../../shared/lake/index.ts';
import { PIPELINE_SCHEMA, type WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { BadUnitError } from './errors.ts';
import { claimUnit, recordFactRows, removeFactRows } from './generations.ts';
import { mergeStatement, type Row, type StagedRow, stageRow } from './merge.ts';
import { LOAD_ORDER, LOAD_TABLES, type LoadTable } from './tables.ts';

/**
 * The core of the load: one processed unit → one warehouse transaction, exactly once in effect.
 *
 * 1. The ledger row (unit_id = manifest.unitId) is claimed FIRST for the manifest's generation
 *    (generations.ts). No row back means this generation or a newer one was applied already (or
 *    is being applied right now by another connection, which then blocks us until it commits):
 *    the result is 'already-applied' and nothing changes, whatever DynamoDB remembers. A replay's
 *    generation (> 1) first deletes the fact rows the earlier generation inserted, and its
 *    dimensions also overwrite rows stored at an equal version (README "Replay").
 * 2. Each table is staged in chunks as one `unnest` of column arrays per chunk (set-based, never
 *    row by row) and merged in the same statement: dim_date ON CONFLICT DO NOTHING; other dimensions
 *    newest-wins through pipeline.dimension_version; facts ON CONFLICT ON CONSTRAINT
 *    <fact>_version_key DO NOTHING. Dimensions (dim_date included) go before facts.
 * 3. The ledger row gets the per-table counts and the newest source update, the unit's inserted
 *    fact rows are recorded (load_fact_rows), then COMMIT.
 *
 * Rows are read from `tables` inside the transaction callback. Slonik's own transaction retry is
 * switched off (limit 0): it would replay the callback on a serialization failure, and a one-shot
 * async iterable would then be staged empty and the ledger row committed over missing data.
 * Retries happen one level up (processor.ts, through errors.ts withRetry), which rebuilds the unit
 * (FetchedUnit.open) for every attempt.
 */

export type { Row };
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
/** A newest source update as 'YYYY-MM-DD HH:MM:SS.mmm' text, or null when nothing carried one. */
const NEWEST = z.object({ newest: z.string().nullable() });

async function* chunks(source: RowSource, table: LoadTable, size: number): AsyncGenerator<StagedRow[]> {
  let chunk: StagedRow[] = [];
  let index = 0;
  for await (const row of source) {
    chunk.push(stageRow(table, row, index++));
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
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
  const generation = generationOf(manifest);
  const claimed = await claimUnit(tx, {
    unitId: manifest.unitId,
    runId: manifest.runId,
    generation,
    newestSourceUpdate: manifest.newestSourceUpdate,
  });
  if (!claimed) return { status: 'already-applied', unitId: manifest.unitId };
  // A replay's generation replaces the earlier one's rows (generations.ts): every fact row the
  // earlier generation inserted goes first (also of a table this generation has no rows for).
  const replacing = generation > 1;
  if (replacing) {
    for (const spec of Object.values(LOAD_TABLES)) {
      if (spec.role === 'fact') await removeFactRows(tx, manifest.unitId, spec);
    }
  }

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
    const insertedIds: number[] = [];
    for await (const chunk of chunks(source, spec, chunkRows)) {
      const result = await tx.one(mergeStatement(spec, chunk, replacing));
      received += chunk.length;
      inserted += result.inserted;
      updated += result.updated;
      if (result.newest) newest.push(result.newest);
      if (result.ids) insertedIds.push(...result.ids);
    }
    if (spec.role === 'fact') await recordFactRows(tx, manifest.unitId, spec.name, insertedIds);
    const listed = expected.get(table) ?? 0;
    if (received !== listed)
      throw new BadUnitError(
        `unit ${manifest.unitId}: ${table} has ${received} rows, the manifest lists ${listed}`,
      );
    rows[table] = { received, inserted, updated };
  }

  const newestSourceUpdate = await tx.oneFirst(sql.type(NEWEST)`
    UPDATE ${LEDGER} SET "rows" = ${sql.jsonb(rows as Record<string, TableCounts>)},
      "newest_source_update" = (SELECT max(v::timestamp(3)) FROM unnest(${sql.array(newest, 'text')}) AS v)
    WHERE "unit_id" = ${manifest.unitId}
    RETURNING to_char("newest_source_update", 'YYYY-MM-DD HH24:MI:SS.MS') AS newest`);
  return {
    status: 'applied',
    unitId: manifest.unitId,
    rows,
    newestSourceUpdate,
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
