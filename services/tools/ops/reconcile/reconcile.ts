import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { countRows } from '../../../../shared/db/catalog.ts';
import type { FactTable } from '../../../../shared/schema/warehouse.ts';
import { keysetPages, mergeById } from './merge.ts';
import {
  DIMENSION_CHECKS,
  FACT_CHECKS,
  FACT_DATE_COLUMNS,
  type Row,
  type RowFilter,
  type RowShape,
  type TableCheck,
} from './tables.ts';
import {
  MISMATCH_KINDS,
  type Mismatch,
  type MismatchKind,
  type ReconcileOptions,
  type ReconcileResult,
  type TableCounts,
} from './types.ts';
import { dateAttributes, valuesEqual } from './values.ts';

export const DEFAULT_PAGE_SIZE = 5_000;
export const DEFAULT_MAX_MISMATCHES_PER_TABLE = 1_000;

/** The order tables are reported in. */
export const RECONCILED_TABLES: readonly string[] = [
  ...DIMENSION_CHECKS.map((c) => c.table),
  ...FACT_CHECKS.map((c) => c.table),
  'dim_date',
];

/** Counts every mismatch; keeps the first `cap` of each table. */
class MismatchCollector {
  readonly #cap: number;
  readonly #kept = new Map<string, Mismatch[]>();
  readonly #perTable = new Map<string, number>();
  readonly byKind = Object.fromEntries(MISMATCH_KINDS.map((k) => [k, 0])) as Record<MismatchKind, number>;
  truncated = false;

  constructor(cap: number) {
    this.#cap = cap;
  }

  add(mismatch: Mismatch): void {
    const n = (this.#perTable.get(mismatch.table) ?? 0) + 1;
    this.#perTable.set(mismatch.table, n);
    this.byKind[mismatch.kind] += 1;
    if (n > this.#cap) {
      this.truncated = true;
      return;
    }
    const list = this.#kept.get(mismatch.table) ?? [];
    list.push(mismatch);
    this.#kept.set(mismatch.table, list);
  }

  /** Counts mismatches that are not kept (beyond a listing limit). */
  countOnly(table: string, kind: MismatchKind, n: number): void {
    if (n <= 0) return;
    this.#perTable.set(table, (this.#perTable.get(table) ?? 0) + n);
    this.byKind[kind] += n;
    this.truncated = true;
  }

  get cap(): number {
    return this.#cap;
  }

  countFor(table: string): number {
    return this.#perTable.get(table) ?? 0;
  }

  kept(order: readonly string[]): Mismatch[] {
    const tables = [...order, ...[...this.#kept.keys()].filter((t) => !order.includes(t))];
    return tables.flatMap((t) => this.#kept.get(t) ?? []);
  }
}

/** A query value as comparable text: the SQL already casts to text; numbers/booleans are a fallback. */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

function versionOf(row: Record<string, unknown>): string | undefined {
  const date = asText(row.last_updated_date);
  const time = asText(row.last_updated_time);
  return date && time ? `${date} ${time}` : undefined;
}

/** Ids whose fingerprints differ, re-read in full (both sides) this many at a time. */
const DETAIL_BATCH = 500;
/** Ids per digest block: a block whose digests agree on both sides is not read row by row. */
export const DEFAULT_BLOCK_SIZE = 1_000;

/** Coalesces block numbers into id ranges [from, to) of consecutive blocks. */
export function blockRanges(blocks: readonly number[], blockSize: number): { from: number; to: number }[] {
  const sorted = [...new Set(blocks)].sort((a, b) => a - b);
  const ranges: { from: number; to: number }[] = [];
  for (const block of sorted) {
    const last = ranges.at(-1);
    if (last && last.to === block * blockSize) last.to = (block + 1) * blockSize;
    else ranges.push({ from: block * blockSize, to: (block + 1) * blockSize });
  }
  return ranges;
}

async function compareTable(
  check: TableCheck,
  source: DatabasePool,
  warehouse: DatabasePool,
  pageSize: number,
  blockSize: number,
  out: MismatchCollector,
): Promise<TableCounts> {
  const isFact = check.naturalId !== undefined;
  // A table whose expectation is completed in JS (currency_name) is compared in full; the others
  // by fingerprint first, in full only where the fingerprints differ.
  const shape: RowShape = check.complete ? 'full' : 'fingerprint';
  const counts: TableCounts = { sourceRows: 0, warehouseRows: 0, compared: 0, mismatches: 0 };
  let sourceCount = 0;
  let warehouseIds = 0;
  let rechecked = 0;
  const diffRows = (expectedRow: Row, actual: Row) => {
    const expected = check.complete ? check.complete(expectedRow) : expectedRow;
    const version = isFact ? versionOf(actual) : undefined;
    for (const column of check.columns) {
      const e = asText(expected[column.name]);
      const a = asText(actual[column.name]);
      if (!valuesEqual(column.kind, e, a)) {
        out.add({
          table: check.table,
          kind: 'different',
          id: expectedRow.id,
          column: column.name,
          expected: e,
          actual: a,
          ...(version ? { version } : {}),
        });
      }
    }
  };

  let pending: number[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const ids = pending;
    pending = [];
    const [expected, actual] = await Promise.all([
      source.any(check.sourceQuery('full', { ids })) as Promise<readonly Row[]>,
      warehouse.any(check.warehouseQuery('full', { ids })) as Promise<readonly Row[]>,
    ]);
    const actualById = new Map(actual.map((row) => [row.id, row]));
    for (const row of expected) {
      const other = actualById.get(row.id);
      // Both sides held the id a moment ago; a row gone since is left to the next run.
      if (other) diffRows(row, other);
    }
  };

  // Untyped rows (see tables.ts): a page of a table streamed whole, no per-row schema check.
  const read = (pool: DatabasePool, query: TableCheck['sourceQuery'], filter: RowFilter) =>
    pool.any(query(shape, filter)) as Promise<readonly Row[]>;
  /** Streams both sides of an id range (all ids when no range) and compares row by row. */
  const compareRange = (range: { from?: number; to?: number }) =>
    mergeById(
      keysetPages<Row>(
        (after) => read(source, check.sourceQuery, { after, limit: pageSize, ...range }),
        pageSize,
      ),
      keysetPages<Row>(
        (after) => read(warehouse, check.warehouseQuery, { after, limit: pageSize, ...range }),
        pageSize,
      ),
      (id, left, right) => {
        if (left) sourceCount += 1;
        if (right) warehouseIds += 1;
        if (left && !right) {
          const version = isFact ? versionOf(left) : undefined;
          out.add({ table: check.table, kind: 'missing', id, ...(version ? { version } : {}) });
        } else if (right && !left) {
          const version = isFact ? versionOf(right) : undefined;
          out.add({ table: check.table, kind: 'extra', id, ...(version ? { version } : {}) });
        } else if (left && right) {
          counts.compared += 1;
          if (shape === 'full') {
            diffRows(left, right);
          } else if (left.fp !== right.fp) {
            rechecked += 1;
            pending.push(id);
            if (pending.length >= DETAIL_BATCH) return flush();
          }
        }
        return undefined;
      },
    );

  if (shape === 'full') {
    await compareRange({});
  } else {
    // Per block of ids, a digest computed in each database; only blocks that differ are streamed.
    const [sourceBlocks, warehouseBlocks] = await Promise.all([
      source.any(check.sourceDigest(blockSize)),
      warehouse.any(check.warehouseDigest(blockSize)),
    ]);
    const dirty: number[] = [];
    const warehouseByBlock = new Map(warehouseBlocks.map((b) => [b.block, b]));
    for (const s of sourceBlocks) {
      const w = warehouseByBlock.get(s.block);
      warehouseByBlock.delete(s.block);
      if (w && w.rows === s.rows && w.digest === s.digest) {
        sourceCount += s.rows;
        warehouseIds += w.rows;
        counts.compared += s.rows;
      } else dirty.push(s.block);
    }
    dirty.push(...warehouseByBlock.keys());
    for (const range of blockRanges(dirty, blockSize)) await compareRange(range);
  }
  await flush();
  counts.sourceRows = sourceCount;
  if (shape === 'fingerprint') counts.rechecked = rechecked;
  if (!isFact) {
    counts.warehouseRows = warehouseIds;
    return counts;
  }
  counts.warehouseIds = warehouseIds;
  const table = sql.identifier([check.table]);
  counts.warehouseRows = await countRows(warehouse, table);
  const duplicates = await findDuplicateVersions(warehouse, check.table as FactTable, check.naturalId!, out);
  counts.duplicateVersions = duplicates;
  return counts;
}

export interface DuplicateVersion {
  readonly id: number;
  readonly version: string;
  readonly copies: number;
}

/**
 * Natural id + version pairs stored more than once (the unique constraint forbids it; counted
 * anyway in case it was dropped). Returns how many such pairs exist; reports the first ones.
 */
export async function listDuplicateVersions(
  warehouse: DatabasePool,
  table: FactTable,
  naturalId: string,
  limit: number,
): Promise<{ total: number; first: DuplicateVersion[] }> {
  const key = sql.identifier([naturalId]);
  const rows = await warehouse.any(sql.type(
    z.object({
      id: z.number().int(),
      version: z.string(),
      copies: z.number().int(),
      total: z.number().int(),
    }),
  )`
    SELECT ${key} AS "id",
      to_char("last_updated_date", 'YYYY-MM-DD') || ' ' || to_char("last_updated_time", 'HH24:MI:SS.MS') AS "version",
      count(*) AS "copies",
      count(*) OVER () AS "total"
    FROM ${sql.identifier([table])}
    GROUP BY ${key}, "last_updated_date", "last_updated_time"
    HAVING count(*) > 1
    ORDER BY 1, 2
    LIMIT ${Math.max(1, limit)}`);
  return {
    total: rows[0]?.total ?? 0,
    first: rows.slice(0, limit).map(({ id, version, copies }) => ({ id, version, copies })),
  };
}

async function findDuplicateVersions(
  warehouse: DatabasePool,
  table: FactTable,
  naturalId: string,
  out: MismatchCollector,
): Promise<number> {
  const { total, first } = await listDuplicateVersions(warehouse, table, naturalId, out.cap);
  for (const d of first) {
    out.add({
      table,
      kind: 'duplicate',
      id: d.id,
      version: d.version,
      column: 'last_updated',
      expected: '1',
      actual: String(d.copies),
    });
  }
  out.countOnly(table, 'duplicate', total - first.length);
  return total;
}

const DATE_ATTRIBUTE_COLUMNS = [
  'year',
  'month',
  'day',
  'day_of_week',
  'day_name',
  'month_name',
  'quarter',
] as const;

/** A dim_date row with its attributes as text, as compared with the expected ones. */
const DATE_TEXT = z.string().nullable();
const DateRow = z.object({
  date_id: z.string(),
  year: DATE_TEXT,
  month: DATE_TEXT,
  day: DATE_TEXT,
  day_of_week: DATE_TEXT,
  day_name: DATE_TEXT,
  month_name: DATE_TEXT,
  quarter: DATE_TEXT,
});
type DateRow = z.infer<typeof DateRow>;

async function checkDates(
  warehouse: DatabasePool,
  pageSize: number,
  out: MismatchCollector,
): Promise<TableCounts> {
  const counts: TableCounts = { sourceRows: null, warehouseRows: 0, compared: 0, mismatches: 0 };
  // 1. Every date any fact row references is a dim_date row (spec §3).
  const references = sql.join(
    (Object.entries(FACT_DATE_COLUMNS) as [FactTable, readonly string[]][]).flatMap(([table, columns]) =>
      columns.map(
        (column) =>
          sql.fragment`SELECT DISTINCT ${sql.identifier([column])} AS "date_id", ${`${table}.${column}`}::text AS "ref" FROM ${sql.identifier([table])}`,
      ),
    ),
    sql.fragment` UNION ALL `,
  );
  const referenced = await warehouse.any(sql.type(
    z.object({ date_id: z.string(), refs: z.string(), present: z.boolean() }),
  )`
    WITH "refs" AS (${references})
    SELECT to_char("r"."date_id", 'YYYY-MM-DD') AS "date_id",
      string_agg("r"."ref", ', ' ORDER BY "r"."ref") AS "refs",
      bool_and("d"."date_id" IS NOT NULL) AS "present"
    FROM "refs" AS "r" LEFT JOIN "dim_date" AS "d" ON "d"."date_id" = "r"."date_id"
    GROUP BY "r"."date_id"
    ORDER BY "r"."date_id"`);
  counts.referencedDates = referenced.length;
  for (const r of referenced) {
    if (!r.present) {
      out.add({ table: 'dim_date', kind: 'missing-date', id: r.date_id, column: r.refs, actual: null });
    }
  }
  // 2. Every dim_date row has the right attributes (ISO weekday, English names, quarter).
  let after: string | null = null;
  for (;;) {
    const page: readonly DateRow[] = await warehouse.any(sql.type(DateRow)`
      SELECT to_char("date_id", 'YYYY-MM-DD') AS "date_id", "year"::text, "month"::text, "day"::text,
        "day_of_week"::text, "day_name", "month_name", "quarter"::text
      FROM "dim_date"
      WHERE ${after === null ? sql.fragment`TRUE` : sql.fragment`"date_id" > ${after}::date`}
      ORDER BY "date_id"
      LIMIT ${pageSize}`);
    for (const row of page) {
      const dateId = row.date_id;
      counts.warehouseRows += 1;
      counts.compared += 1;
      const expected = dateAttributes(dateId);
      for (const column of DATE_ATTRIBUTE_COLUMNS) {
        const e = String(expected[column]);
        const a = row[column];
        if (e !== a)
          out.add({ table: 'dim_date', kind: 'bad-date', id: dateId, column, expected: e, actual: a });
      }
    }
    if (page.length < pageSize) break;
    after = page.at(-1)!.date_id;
  }
  return counts;
}

/** Which of `tables` (in the search path) the database lacks: a schema check before comparing. */
export async function missingTables(pool: DatabasePool, tables: readonly string[]): Promise<string[]> {
  const present = new Set(
    await pool.anyFirst(sql.type(z.object({ name: z.string() }))`
      SELECT "t"."name" FROM unnest(${sql.array([...tables], 'text')}) AS "t" ("name")
      WHERE to_regclass(quote_ident("t"."name")) IS NOT NULL`),
  );
  return tables.filter((t) => !present.has(t));
}

/**
 * Compares `warehouse` with `source` as spec §2 defines it: every dimension equals the current
 * source rows joined (§2.1), the latest version of every fact equals the current source row, no
 * fact version is stored twice, every referenced date is in dim_date with correct attributes.
 * The two pools may point at different servers; tables are streamed in keyset pages.
 */
export async function reconcile(
  source: DatabasePool,
  warehouse: DatabasePool,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const started = performance.now();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const out = new MismatchCollector(options.maxMismatchesPerTable ?? DEFAULT_MAX_MISMATCHES_PER_TABLE);
  const checks = [...DIMENSION_CHECKS, ...FACT_CHECKS];
  const results = await Promise.all([
    ...checks.map(
      async (check) =>
        [check.table, await compareTable(check, source, warehouse, pageSize, blockSize, out)] as const,
    ),
    checkDates(warehouse, pageSize, out).then((c) => ['dim_date', c] as const),
  ]);
  const counts: Record<string, TableCounts> = {};
  for (const table of RECONCILED_TABLES) {
    const entry = results.find(([t]) => t === table);
    if (entry) counts[table] = { ...entry[1], mismatches: out.countFor(table) };
  }
  const totalMismatches = Object.values(out.byKind).reduce((a, b) => a + b, 0);
  return {
    ok: totalMismatches === 0,
    mismatches: out.kept(RECONCILED_TABLES),
    counts,
    summary: {
      totalMismatches,
      byKind: { ...out.byKind },
      truncated: out.truncated,
      tablesChecked: results.length,
      elapsedMs: Math.round(performance.now() - started),
    },
  };
}
