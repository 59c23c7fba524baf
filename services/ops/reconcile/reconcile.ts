import { type DatabasePool, sql } from 'slonik';
import type { FactTable } from '../../../shared/schema/warehouse.ts';
import { keysetPages, mergeById } from './merge.ts';
import { DIMENSION_CHECKS, FACT_CHECKS, FACT_DATE_COLUMNS, type Row, type TableCheck } from './tables.ts';
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

async function compareTable(
  check: TableCheck,
  source: DatabasePool,
  warehouse: DatabasePool,
  pageSize: number,
  out: MismatchCollector,
): Promise<TableCounts> {
  const isFact = check.naturalId !== undefined;
  const counts: TableCounts = { sourceRows: 0, warehouseRows: 0, compared: 0, mismatches: 0 };
  let sourceCount = 0;
  let warehouseIds = 0;
  const sourceRows = keysetPages<Row>(
    async (after) => (await source.any(check.sourcePage(after, pageSize))) as readonly Row[],
    pageSize,
  );
  const warehouseRows = keysetPages<Row>(
    async (after) => (await warehouse.any(check.warehousePage(after, pageSize))) as readonly Row[],
    pageSize,
  );
  for await (const { id, left, right } of mergeById(sourceRows, warehouseRows)) {
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
      const expected = check.complete ? check.complete(left) : left;
      const version = isFact ? versionOf(right) : undefined;
      for (const column of check.columns) {
        const e = asText(expected[column.name]);
        const a = asText(right[column.name]);
        if (!valuesEqual(column.kind, e, a)) {
          out.add({
            table: check.table,
            kind: 'different',
            id,
            column: column.name,
            expected: e,
            actual: a,
            ...(version ? { version } : {}),
          });
        }
      }
    }
  }
  counts.sourceRows = sourceCount;
  if (!isFact) {
    counts.warehouseRows = warehouseIds;
    return counts;
  }
  counts.warehouseIds = warehouseIds;
  const table = sql.identifier([check.table]);
  counts.warehouseRows = Number(await warehouse.oneFirst(sql.unsafe`SELECT count(*) FROM ${table}`));
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
  const rows = (await warehouse.any(sql.unsafe`
    SELECT ${key} AS "id",
      to_char("last_updated_date", 'YYYY-MM-DD') || ' ' || to_char("last_updated_time", 'HH24:MI:SS.MS') AS "version",
      count(*) AS "copies",
      count(*) OVER () AS "total"
    FROM ${sql.identifier([table])}
    GROUP BY ${key}, "last_updated_date", "last_updated_time"
    HAVING count(*) > 1
    ORDER BY 1, 2
    LIMIT ${Math.max(1, limit)}`)) as readonly {
    id: number;
    version: string;
    copies: number;
    total: number;
  }[];
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
  const referenced = (await warehouse.any(sql.unsafe`
    WITH "refs" AS (${references})
    SELECT to_char("r"."date_id", 'YYYY-MM-DD') AS "date_id",
      string_agg("r"."ref", ', ' ORDER BY "r"."ref") AS "refs",
      bool_and("d"."date_id" IS NOT NULL) AS "present"
    FROM "refs" AS "r" LEFT JOIN "dim_date" AS "d" ON "d"."date_id" = "r"."date_id"
    GROUP BY "r"."date_id"
    ORDER BY "r"."date_id"`)) as readonly { date_id: string; refs: string; present: boolean }[];
  counts.referencedDates = referenced.length;
  for (const r of referenced) {
    if (!r.present) {
      out.add({ table: 'dim_date', kind: 'missing-date', id: r.date_id, column: r.refs, actual: null });
    }
  }
  // 2. Every dim_date row has the right attributes (ISO weekday, English names, quarter).
  let after: string | null = null;
  for (;;) {
    const page = (await warehouse.any(sql.unsafe`
      SELECT to_char("date_id", 'YYYY-MM-DD') AS "date_id", "year"::text, "month"::text, "day"::text,
        "day_of_week"::text, "day_name", "month_name", "quarter"::text
      FROM "dim_date"
      WHERE ${after === null ? sql.fragment`TRUE` : sql.fragment`"date_id" > ${after}::date`}
      ORDER BY "date_id"
      LIMIT ${pageSize}`)) as readonly Record<string, string | null>[];
    for (const row of page) {
      const dateId = row.date_id!;
      counts.warehouseRows += 1;
      counts.compared += 1;
      const expected = dateAttributes(dateId);
      for (const column of DATE_ATTRIBUTE_COLUMNS) {
        const e = String(expected[column]);
        const a = row[column] ?? null;
        if (e !== a)
          out.add({ table: 'dim_date', kind: 'bad-date', id: dateId, column, expected: e, actual: a });
      }
    }
    if (page.length < pageSize) break;
    after = page.at(-1)!.date_id!;
  }
  return counts;
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
  const out = new MismatchCollector(options.maxMismatchesPerTable ?? DEFAULT_MAX_MISMATCHES_PER_TABLE);
  const checks = [...DIMENSION_CHECKS, ...FACT_CHECKS];
  const results = await Promise.all([
    ...checks.map(
      async (check) => [check.table, await compareTable(check, source, warehouse, pageSize, out)] as const,
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
