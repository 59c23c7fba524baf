import { type DatabasePool, type DatabaseTransactionConnection, sql } from 'slonik';
import { z } from 'zod';
import {
  generationOf,
  type ProcessedManifest,
  validateProcessedManifest,
} from '../../../shared/lake/manifests.ts';
import { FACT_TABLES, PIPELINE_SCHEMA, type WarehouseTable } from '../../../shared/schema/warehouse.ts';
import {
  chooseBulkTables,
  DEFAULT_BULK_MIN_ROWS,
  dropForeignKeys,
  type ForeignKey,
  factTableStates,
  foreignKeysOf,
  lockForBulk,
  restoreForeignKeys,
} from './bulk-keys.ts';
import { dependantReason, type MissingRows, missingFor, missingRows, withheldRows } from './dependants.ts';
import { BadUnitError } from './errors.ts';
import { claimUnit, recordFactRows, removeFactRows } from './generations.ts';
import { mergeStatement, type Row, type StagedRow, stageRow } from './merge.ts';
import {
  canSkipKeyTriggers,
  checkNewRows,
  chooseNewRowTables,
  restoreKeyTriggers,
  skipKeyTriggers,
} from './new-row-keys.ts';
import {
  closeEarlierGenerations,
  type Dependant,
  presentRows,
  recordHeld,
  releaseDependants,
} from './quarantine.ts';
import { type PrimedSource, primeable, runAhead } from './read-ahead.ts';
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
 *    A large unit (a first full load, a large backlog) has its fact tables' keys checked
 *    set-based instead of by a trigger query per row: for its new rows only, keys in force, when
 *    the role may skip the key triggers (new-row-keys.ts); else, for a role that owns the tables,
 *    by dropping the keys before the facts and adding them back after them (bulk-keys.ts).
 * 3. Quarantine (quarantine.ts): facts that need a dimension row the unit held back and the
 *    warehouse lacks are held as dependants instead of merged; dependants of any unit whose rows
 *    are now present are released; the unit's held rows and dependants are recorded.
 * 4. The ledger row gets the per-table counts and the newest source update, the unit's inserted
 *    fact rows are recorded (load_fact_rows), then COMMIT.
 *
 * Rows are read from `tables` inside the transaction callback. Slonik's own transaction retry is
 * switched off (limit 0): it would replay the callback on a serialization failure, and a one-shot
 * async iterable would then be staged empty and the ledger row committed over missing data.
 * Retries happen one level up (processor.ts, through errors.ts withRetry), which rebuilds the unit
 * (FetchedUnit.open) for every attempt.
 */

export type { Row };
/**
 * A table's rows: in memory, or (a unit read from the lake) batches decoded one Parquet slice at
 * a time. Batches, not single rows, cross the await: a row-by-row async iterator cost one promise
 * per row (45 ms for a scale-1 unit's 48,000 rows in a fresh process, 1.6 ms as 10 batches).
 */
export type RowSource = Iterable<Row> | AsyncIterable<readonly Row[]>;

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
      /** Rows this unit holds back: source rows the transform held plus dependants. */
      readonly held: number;
      /** Dependants (of any unit) this load released into the warehouse. */
      readonly released: number;
    }
  | { readonly status: 'already-applied'; readonly unitId: string };

export interface ApplyOptions {
  /** Rows per staging statement (one JSON parameter each). */
  readonly chunkRows?: number;
  /**
   * Fact rows a table must receive (holding at most BULK_MAX_HELD_PER_ROW times as many) for its
   * foreign keys to be checked set-based instead of per row (bulk-keys.ts). Default
   * DEFAULT_BULK_MIN_ROWS.
   */
  readonly bulkMinRows?: number;
  /**
   * How a large unit's keys are checked set-based: 'auto' (default) checks only the unit's new
   * rows with the keys in force (new-row-keys.ts) when the role may, else drops and re-adds them
   * (bulk-keys.ts) when it owns the tables; 'whole-table' always takes bulk-keys.ts's way.
   */
  readonly setBasedKeys?: 'auto' | 'whole-table';
}

/** How this unit's foreign keys are checked (see bulk-keys.ts and new-row-keys.ts). */
type KeyCheck =
  | { readonly mode: 'per-row' }
  | { readonly mode: 'whole-table'; readonly keys: readonly ForeignKey[] }
  | { readonly mode: 'new-rows'; readonly keys: ReadonlyMap<string, readonly ForeignKey[]> };

const LEDGER = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
/** A newest source update as 'YYYY-MM-DD HH:MM:SS.mmm' text, or null when nothing carried one. */
const NEWEST = z.object({ newest: z.string().nullable() });

async function* chunks(
  source: RowSource,
  table: LoadTable,
  size: number,
  /** True: the row (the table's `index`th) is held back (not staged). */
  holds?: (row: Row, index: number) => boolean,
): AsyncGenerator<StagedRow[]> {
  let chunk: StagedRow[] = [];
  let index = 0;
  const batches = Symbol.asyncIterator in source ? source : [source];
  for await (const batch of batches) {
    for (const row of batch) {
      if (holds?.(row, index)) {
        index++;
        continue;
      }
      chunk.push(stageRow(table, row, index++));
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

function expectedRows(manifest: ProcessedManifest): Map<WarehouseTable, number> {
  const expected = new Map<WarehouseTable, number>();
  for (const o of manifest.objects) expected.set(o.table, (expected.get(o.table) ?? 0) + o.rows);
  return expected;
}

/**
 * How this unit's fact tables' keys are checked, with every lock the check needs already taken:
 * per row for an ordinary unit; for a large one, only its new rows with the keys in force when the
 * role may skip the key triggers (new-row-keys.ts: no DDL, no exclusive lock, a cost proportional
 * to the unit), else dropped and re-added (bulk-keys.ts).
 */
async function prepareKeyCheck(
  tx: DatabaseTransactionConnection,
  expected: ReadonlyMap<WarehouseTable, number>,
  minRows: number,
  setBasedKeys: 'auto' | 'whole-table',
): Promise<KeyCheck> {
  const large = FACT_TABLES.filter((t) => (expected.get(t) ?? 0) >= minRows);
  if (large.length === 0) return { mode: 'per-row' };
  const states = await factTableStates(tx, large);
  if (setBasedKeys === 'auto' && (await canSkipKeyTriggers(tx))) {
    const plain = chooseNewRowTables(expected, states, minRows);
    if (plain.length === 0) return { mode: 'per-row' };
    const keys = new Map<string, ForeignKey[]>();
    for (const k of await foreignKeysOf(tx, plain)) keys.set(k.table, [...(keys.get(k.table) ?? []), k]);
    return { mode: 'new-rows', keys };
  }
  const bulk = chooseBulkTables(expected, states, minRows);
  if (bulk.length === 0) return { mode: 'per-row' };
  const keys = await foreignKeysOf(tx, bulk);
  await lockForBulk(tx, keys, LOAD_ORDER);
  return { mode: 'whole-table', keys };
}

async function applyInTransaction(
  tx: DatabaseTransactionConnection,
  unit: ProcessedUnit,
  chunkRows: number,
  bulkMinRows: number,
  setBasedKeys: 'auto' | 'whole-table',
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

  const expected = expectedRows(manifest);
  for (const table of Object.keys(unit.tables)) {
    if (!Object.hasOwn(LOAD_TABLES, table))
      throw new BadUnitError(`unit ${manifest.unitId}: unknown table ${table}`);
  }
  // Before anything below writes: its locks are taken up front, all in one statement.
  const keyCheck = await prepareKeyCheck(tx, expected, bulkMinRows, setBasedKeys);
  const bulkKeys = keyCheck.mode === 'whole-table' ? keyCheck.keys : [];
  // A replay's generation replaces the earlier one's rows (generations.ts): every fact row the
  // earlier generation inserted goes first (also of a table this generation has no rows for).
  const replacing = generation > 1;
  if (replacing) {
    for (const spec of Object.values(LOAD_TABLES)) {
      if (spec.role === 'fact') await removeFactRows(tx, manifest.unitId, spec);
    }
    await closeEarlierGenerations(tx, manifest.unitId, generation);
  }
  const held = manifest.held ?? [];
  const withheld = withheldRows(held);
  /** Known once the dimensions are in: the withheld rows the warehouse does not have either. */
  let missing: MissingRows = new Map();
  let missingKnown = withheld.size === 0;
  const dependants: Dependant[] = [];
  const rows: Partial<Record<WarehouseTable, TableCounts>> = {};
  const newest: string[] = manifest.newestSourceUpdate ? [manifest.newestSourceUpdate] : [];
  let keysDropped = false;
  const sources = new Map<WarehouseTable, PrimedSource>();
  for (const table of LOAD_ORDER) {
    const source = unit.tables[table];
    if (source !== undefined) sources.set(table, primeable(source));
  }
  const primeNext = (after: WarehouseTable) =>
    LOAD_ORDER.slice(LOAD_ORDER.indexOf(after) + 1)
      .map((t) => sources.get(t))
      .find((s) => s !== undefined)
      ?.prime();
  for (const table of LOAD_ORDER) {
    // Dimensions are all in (they come first in LOAD_ORDER): the bulk tables' keys go now and come
    // back after the last fact, checked in one pass each.
    const isFact = (FACT_TABLES as readonly string[]).includes(table);
    if (isFact && !missingKnown) {
      missing = missingRows(withheld, await presentRows(tx, withheld));
      missingKnown = true;
    }
    if (!keysDropped && bulkKeys.length > 0 && isFact) {
      await dropForeignKeys(tx, bulkKeys);
      keysDropped = true;
    }
    const source = sources.get(table)?.source;
    if (source === undefined) {
      if (expected.get(table)) throw new BadUnitError(`unit ${manifest.unitId}: no rows given for ${table}`);
      continue;
    }
    const spec = LOAD_TABLES[table];
    let received = 0;
    let inserted = 0;
    let updated = 0;
    const insertedIds: number[] = [];
    const newRowKeys = keyCheck.mode === 'new-rows' ? keyCheck.keys.get(table) : undefined;
    if (newRowKeys) await skipKeyTriggers(tx);
    const holds =
      spec.role === 'fact' && missing.size > 0
        ? (row: Row, index: number) => {
            const needs = missingFor(spec.name, row, missing);
            if (needs.length === 0) return false;
            // Checked like any row now, so a later release never meets a row it cannot stage.
            stageRow(spec, row, index);
            dependants.push({ table: spec.name, row, needs, reason: dependantReason(needs) });
            received++;
            return true;
          }
        : undefined;
    // Each chunk's statement is built while the database merges the one before; once this
    // table's rows are all staged, the next table's first slice is decoded (read-ahead.ts).
    await runAhead(
      chunks(source, spec, chunkRows, holds),
      (chunk) => mergeStatement(spec, chunk, replacing),
      async (statement, chunk) => {
        const result = await tx.one(statement);
        received += chunk.length;
        inserted += result.inserted;
        updated += result.updated;
        if (result.newest) newest.push(result.newest);
        if (result.ids) insertedIds.push(...result.ids);
      },
      () => primeNext(table),
    );
    if (newRowKeys && spec.role === 'fact') {
      await restoreKeyTriggers(tx);
      await checkNewRows(tx, newRowKeys, spec.surrogateKey, insertedIds);
    }
    if (spec.role === 'fact') await recordFactRows(tx, manifest.unitId, spec.name, insertedIds);
    const listed = expected.get(table) ?? 0;
    if (received !== listed)
      throw new BadUnitError(
        `unit ${manifest.unitId}: ${table} has ${received} rows, the manifest lists ${listed}`,
      );
    rows[table] = { received, inserted, updated };
  }
  if (keysDropped) await restoreForeignKeys(tx, bulkKeys);
  // After every dimension row of this unit is in: what other units held back for them goes in too.
  const released = await releaseDependants(tx, `load of ${manifest.unitId} generation ${generation}`);
  await recordHeld(tx, { unitId: manifest.unitId, generation }, held, dependants);

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
    held: held.length + dependants.length,
    released,
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
  const bulkMinRows = options.bulkMinRows ?? DEFAULT_BULK_MIN_ROWS;
  const setBasedKeys = options.setBasedKeys ?? 'auto';
  return pool.transaction((tx) => applyInTransaction(tx, unit, chunkRows, bulkMinRows, setBasedKeys), 0);
}
