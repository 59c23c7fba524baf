import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { FACT_SOURCE_TABLES } from '../../../../shared/schema/totesys.ts';
import { listDuplicateVersions } from './reconcile.ts';
import { FACT_BY_SOURCE } from './tables.ts';
import { splitTimestamp } from './values.ts';

/**
 * History mode (for chaos runs): given the source row versions a harness knows were committed and
 * visible to an extract, count how many are missing from the facts (`lost`) and how many fact
 * versions are stored more than once (`duplicated`).
 */

export type FactSourceTable = (typeof FACT_SOURCE_TABLES)[number];

export interface RecordedVersion {
  readonly table: FactSourceTable;
  /** Natural id (sales_order_id, purchase_order_id, payment_id). */
  readonly id: number;
  /** Source last_updated, 'YYYY-MM-DD HH:MM:SS.mmm' (fewer fraction digits are accepted). */
  readonly lastUpdated: string;
}

export interface DuplicatedVersion extends RecordedVersion {
  readonly copies: number;
}

export interface HistoryCounts {
  /** Distinct recorded versions checked. */
  checked: number;
  lost: number;
  duplicated: number;
}

export interface HistoryResult {
  readonly ok: boolean;
  /** Recorded versions with no fact row. */
  readonly lost: number;
  /** Fact versions (natural id + last_updated) stored more than once, recorded or not. */
  readonly duplicated: number;
  readonly checked: number;
  readonly perTable: Readonly<Record<FactSourceTable, HistoryCounts>>;
  /** The first lost versions (up to `sampleLimit`). */
  readonly lostVersions: readonly RecordedVersion[];
  /** The first duplicated versions (up to `sampleLimit` per table). */
  readonly duplicatedVersions: readonly DuplicatedVersion[];
}

export interface HistoryOptions {
  /** Versions looked up per warehouse query (default 5,000). */
  readonly chunkSize?: number;
  /** Versions listed in lostVersions / duplicatedVersions (default 100). */
  readonly sampleLimit?: number;
}

const versionKey = (v: RecordedVersion) => `${v.table}\u0000${v.id}\u0000${v.lastUpdated}`;

/**
 * Accumulates distinct source versions across snapshots. Typical use in a chaos run: after each
 * `simulate` step (and before the extract cycle that must see it), `await recorder.snapshot(source)`.
 */
export class VersionRecorder implements Iterable<RecordedVersion> {
  readonly #versions = new Map<string, RecordedVersion>();

  add(version: RecordedVersion): void {
    const { date, time } = splitTimestamp(version.lastUpdated);
    const normal = { table: version.table, id: version.id, lastUpdated: `${date} ${time}` };
    this.#versions.set(versionKey(normal), normal);
  }

  /** Records the current (id, last_updated) of every fact source row; returns how many were new. */
  async snapshot(source: DatabasePool): Promise<number> {
    const before = this.#versions.size;
    for (const version of await snapshotSourceVersions(source)) this.add(version);
    return this.#versions.size - before;
  }

  get size(): number {
    return this.#versions.size;
  }

  [Symbol.iterator](): Iterator<RecordedVersion> {
    return this.#versions.values();
  }
}

/** The current version of every row of the three fact source tables. */
/** A fact row version: its natural id and 'YYYY-MM-DD HH:MM:SS.mmm'. */
const VERSION = z.object({ id: z.number().int(), last_updated: z.string() });

export async function snapshotSourceVersions(source: DatabasePool): Promise<RecordedVersion[]> {
  const out: RecordedVersion[] = [];
  for (const table of FACT_SOURCE_TABLES) {
    const rows = await source.any(sql.type(VERSION)`
      SELECT ${sql.identifier([`${table}_id`])} AS "id",
        to_char("last_updated", 'YYYY-MM-DD HH24:MI:SS.MS') AS "last_updated"
      FROM ${sql.identifier([table])}`);
    for (const row of rows) out.push({ table, id: row.id, lastUpdated: row.last_updated });
  }
  return out;
}

async function* chunks<T>(items: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Counts recorded versions missing from the facts (`lost`) and fact versions stored more than once
 * (`duplicated`, over the whole fact tables). Versions are deduplicated here; an unparsable
 * lastUpdated or an unknown table throws.
 */
export async function reconcileHistory(
  warehouse: DatabasePool,
  versions: Iterable<RecordedVersion> | AsyncIterable<RecordedVersion>,
  options: HistoryOptions = {},
): Promise<HistoryResult> {
  const chunkSize = options.chunkSize ?? 5_000;
  const sampleLimit = options.sampleLimit ?? 100;
  const perTable = Object.fromEntries(
    FACT_SOURCE_TABLES.map((t) => [t, { checked: 0, lost: 0, duplicated: 0 }]),
  ) as Record<FactSourceTable, HistoryCounts>;
  const seen = new Set<string>();
  const lostVersions: RecordedVersion[] = [];

  for await (const chunk of chunks(versions, chunkSize)) {
    const byTable = new Map<FactSourceTable, [number, string, string][]>();
    for (const version of chunk) {
      if (!(version.table in FACT_BY_SOURCE))
        throw new RangeError(`not a fact source table: ${version.table}`);
      const { date, time } = splitTimestamp(version.lastUpdated);
      const key = versionKey({ ...version, lastUpdated: `${date} ${time}` });
      if (seen.has(key)) continue;
      seen.add(key);
      const list = byTable.get(version.table) ?? [];
      list.push([version.id, date, time]);
      byTable.set(version.table, list);
    }
    for (const [table, tuples] of byTable) {
      const { table: fact, naturalId } = FACT_BY_SOURCE[table];
      const key = sql.identifier(['f', naturalId]);
      const missing = await warehouse.any(sql.type(VERSION)`
        SELECT "v"."id", to_char("v"."d", 'YYYY-MM-DD') || ' ' || to_char("v"."t", 'HH24:MI:SS.MS') AS "last_updated"
        FROM ${sql.unnest(tuples, ['int4', 'date', 'time'])} AS "v" ("id", "d", "t")
        WHERE NOT EXISTS (
          SELECT 1 FROM ${sql.identifier([fact])} AS "f"
          WHERE ${key} = "v"."id" AND "f"."last_updated_date" = "v"."d" AND "f"."last_updated_time" = "v"."t"
        )
        ORDER BY 1, 2`);
      perTable[table].checked += tuples.length;
      perTable[table].lost += missing.length;
      for (const m of missing) {
        if (lostVersions.length < sampleLimit)
          lostVersions.push({ table, id: m.id, lastUpdated: m.last_updated });
      }
    }
  }

  const duplicatedVersions: DuplicatedVersion[] = [];
  for (const table of FACT_SOURCE_TABLES) {
    const { table: fact, naturalId } = FACT_BY_SOURCE[table];
    const { total, first } = await listDuplicateVersions(warehouse, fact, naturalId, sampleLimit);
    perTable[table].duplicated = total;
    for (const d of first)
      duplicatedVersions.push({ table, id: d.id, lastUpdated: d.version, copies: d.copies });
  }

  const sum = (field: keyof HistoryCounts) => Object.values(perTable).reduce((n, c) => n + c[field], 0);
  const lost = sum('lost');
  const duplicated = sum('duplicated');
  return {
    ok: lost === 0 && duplicated === 0,
    lost,
    duplicated,
    checked: sum('checked'),
    perTable,
    lostVersions,
    duplicatedVersions,
  };
}
