import { type CommonQueryMethods, type DatabasePool, type FragmentSqlToken, sql } from 'slonik';
import { z } from 'zod';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  SOURCE_TABLES_IN_DEPENDENCY_ORDER,
  type SourceColumnType,
  type SourceTableName,
  sourceDdlStatements,
} from '../../../shared/schema/totesys.ts';
import { DAY_MS, formatTimestamp, parseTimestamp } from './dates.ts';
import { designRow, drawDesign, drawOrder, orderRows, type ReferenceCounts } from './orders.ts';
import { createRng, type Rng } from './prng.ts';
import { buildReferenceData, STATIC_VOLUMES } from './reference-data.ts';

/**
 * `seedSource` fills a totesys database so that it looks like the real one (spec §1.1).
 *
 * - Scale 1 is the real database of November 2024; the static tables never scale, the
 *   time-dependent ones (design, sales_order, purchase_order, transaction, payment) scale linearly.
 * - Everything is drawn from named streams of a seeded generator and the timeline ends at a date
 *   derived from the seed (never the wall clock), so the same seed gives the same bytes.
 * - Rows are generated in JavaScript in time order and written set-based, one
 *   `json_populate_recordset` statement per table per chunk, all in one transaction: a seed is
 *   all or nothing. The serial sequences are moved past the explicit ids at the end.
 * - A database whose source tables already hold rows is refused (SeedRefusedError) unless
 *   `reset: true`, which truncates the eleven source tables first (RESTART IDENTITY).
 */

/** Real volumes of the time-dependent tables (scale 1). */
export const REAL_VOLUMES = {
  sales_order: 11_175,
  purchase_order: 4_640,
  design: 472,
} as const;

/** When the real database's static rows were created (and the seeded timeline starts). */
export const SOURCE_EPOCH = '2022-11-03 14:20:49.962';

/** The seeded timeline ends 2024-11-14 plus 0–7 days, the offset derived from the seed. */
const TIMELINE_END_BASE_MS = Date.UTC(2024, 10, 14);

export interface SeedOptions {
  /** Any positive number: 1 = real volumes, 0.05 for fast tests, 10 or 100 for benchmarks. */
  readonly scale: number;
  /** Integer seed: same seed, same bytes. */
  readonly seed: number;
  /** Truncate the source tables first instead of refusing a non-empty database. */
  readonly reset?: boolean;
  /** Orders per insert chunk (default 20,000). */
  readonly chunkSize?: number;
  /** Called after each chunk is written. */
  readonly onProgress?: (progress: { readonly ordersWritten: number; readonly ordersTotal: number }) => void;
}

export type SeedVolumes = Record<SourceTableName, number>;

export interface SeedResult {
  readonly scale: number;
  readonly seed: number;
  /** Rows written per table. */
  readonly counts: SeedVolumes;
  /** The timeline the orders are spread over (UTC wall clock, ms). */
  readonly timelineStart: string;
  readonly timelineEnd: string;
}

/** The source already holds rows and `reset` was not asked for. */
export class SeedRefusedError extends Error {
  override readonly name = 'SeedRefusedError';
}

export function validateSeedOptions(options: { scale: number; seed: number }): void {
  if (typeof options.scale !== 'number' || !Number.isFinite(options.scale) || options.scale <= 0) {
    throw new RangeError(`scale must be a positive number, got ${String(options.scale)}`);
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be an integer, got ${String(options.seed)}`);
  }
}

/** Rows per table at `scale` (static tables fixed; the others at least 1). */
export function plannedVolumes(scale: number): SeedVolumes {
  const scaled = (n: number) => Math.max(1, Math.round(n * scale));
  const sales = scaled(REAL_VOLUMES.sales_order);
  const purchases = scaled(REAL_VOLUMES.purchase_order);
  return {
    ...STATIC_VOLUMES,
    design: scaled(REAL_VOLUMES.design),
    sales_order: sales,
    purchase_order: purchases,
    transaction: sales + purchases,
    payment: sales + purchases,
  };
}

/** The seeded timeline: from SOURCE_EPOCH to 2024-11-14 + a seed-derived 0–7 days. */
export function seedTimeline(seed: number): { startMs: number; endMs: number } {
  const rng = createRng(seed, 'timeline');
  return {
    startMs: parseTimestamp(SOURCE_EPOCH),
    endMs: TIMELINE_END_BASE_MS + rng.int(0, 7 * DAY_MS - 1),
  };
}

/** `n` uniform millisecond instants in [from, to], sorted. */
function sortedInstants(rng: Rng, n: number, from: number, to: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(from, to);
  return out.sort();
}

const UNNEST_TYPES: Record<SourceColumnType, string> = {
  int: 'int4',
  varchar: 'text',
  numeric: 'numeric',
  timestamp: 'timestamp',
  boolean: 'bool',
};

/**
 * Rows of one table held column by column (one array per column, in the table's column order),
 * which is the shape `unnest` takes: no per-row tuples to build or transpose.
 */
export class ColumnBatch {
  readonly table: SourceTableName;
  readonly values: (string | number | boolean | null)[][];
  private readonly names: readonly string[];

  constructor(table: SourceTableName) {
    this.table = table;
    this.names = SOURCE_TABLES[table].columns.map((c) => c.name);
    this.values = this.names.map(() => []);
  }

  get size(): number {
    return this.values[0]?.length ?? 0;
  }

  /** Appends a row given as an object keyed by column name. */
  push(row: object): void {
    const record = row as Record<string, string | number | boolean | null | undefined>;
    for (let i = 0; i < this.names.length; i++) {
      (this.values[i] as (string | number | boolean | null)[]).push(record[this.names[i] as string] ?? null);
    }
  }

  static of(table: SourceTableName, rows: readonly object[]): ColumnBatch {
    const batch = new ColumnBatch(table);
    for (const row of rows) batch.push(row);
    return batch;
  }
}

/** `INSERT INTO table (...) SELECT * FROM unnest(one typed array per column)`. */
function insertStatement(batch: ColumnBatch): FragmentSqlToken {
  const columns = SOURCE_TABLES[batch.table].columns;
  return sql.fragment`INSERT INTO ${sql.identifier([batch.table])} (${sql.join(
    columns.map((c) => sql.identifier([c.name])),
    sql.fragment`, `,
  )}) SELECT * FROM unnest(${sql.join(
    columns.map((c, i) =>
      sql.array(batch.values[i] as (string | number | boolean | null)[], UNNEST_TYPES[c.type]),
    ),
    sql.fragment`, `,
  )})`;
}

/**
 * Inserts the batches in ONE set-based statement: one `unnest` of one array per column per
 * table, chained as data-modifying CTEs (foreign keys are checked at the end of the statement, so
 * batches may reference each other). Values keep their exact text: numeric and timestamps travel
 * as strings.
 */
export async function insertRows(db: CommonQueryMethods, ...batches: ColumnBatch[]): Promise<void> {
  const statements = batches.filter((b) => b.size > 0).map(insertStatement);
  const last = statements.pop();
  if (!last) return;
  if (statements.length === 0) {
    await db.query(sql.unsafe`${last}`);
    return;
  }
  const ctes = statements.map(
    (statement, i) => sql.fragment`${sql.identifier([`batch_${i}`])} AS (${statement})`,
  );
  await db.query(sql.unsafe`WITH ${sql.join(ctes, sql.fragment`, `)} ${last}`);
}

/** Creates the eleven source tables unless they exist (spec §1 DDL). */
export async function ensureSourceSchema(db: CommonQueryMethods): Promise<void> {
  for (const statement of sourceDdlStatements()) await db.query(statement);
}

/** Tables (in dependency order) that hold at least one row. */
export async function nonEmptySourceTables(db: CommonQueryMethods): Promise<SourceTableName[]> {
  const out: SourceTableName[] = [];
  for (const table of SOURCE_TABLES_IN_DEPENDENCY_ORDER) {
    const present = await db.oneFirst(
      sql.type(
        z.object({ present: z.boolean() }),
      )`SELECT EXISTS (SELECT 1 FROM ${sql.identifier([table])}) AS present`,
    );
    if (present) out.push(table);
  }
  return out;
}

/** Moves each serial sequence to its table's max id, so later inserts continue after it. */
export async function syncSequences(db: CommonQueryMethods): Promise<void> {
  for (const table of SOURCE_TABLES_IN_DEPENDENCY_ORDER) {
    const pk = SOURCE_TABLES[table].primaryKey;
    await db.query(sql.unsafe`
      SELECT setval(pg_get_serial_sequence(${`"${table}"`}, ${pk}), max(${sql.identifier([pk])}))
      FROM ${sql.identifier([table])}
      HAVING max(${sql.identifier([pk])}) IS NOT NULL`);
  }
}

const FOREIGN_KEY = z.object({
  name: z.string(),
  table: z.enum(SOURCE_TABLE_NAMES),
  column: z.string(),
});
type ForeignKey = z.infer<typeof FOREIGN_KEY>;

/** The single-column foreign keys of the source tables that the schema description declares. */
async function sourceForeignKeys(db: CommonQueryMethods): Promise<ForeignKey[]> {
  const rows = await db.any(sql.type(FOREIGN_KEY)`
    SELECT c.conname AS name, r.relname AS "table", a.attname AS "column"
    FROM pg_constraint c
    JOIN pg_class r ON r.oid = c.conrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
      AND r.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
      AND r.relname = ANY(${sql.array([...SOURCE_TABLES_IN_DEPENDENCY_ORDER], 'text')})
    ORDER BY r.relname, c.conname`);
  return rows.filter((fk) =>
    SOURCE_TABLES[fk.table].columns.some((c) => c.name === fk.column && c.references),
  );
}

/**
 * Bulk loading with the foreign keys in place costs one index probe per row and key (three
 * quarters of the seed's time); dropping them for the load and adding them back validates every
 * key in one set-based pass instead, inside the same transaction, under the same names.
 */
async function withoutForeignKeys(db: CommonQueryMethods, load: () => Promise<void>): Promise<void> {
  const keys = await sourceForeignKeys(db);
  for (const fk of keys) {
    await db.query(
      sql.unsafe`ALTER TABLE ${sql.identifier([fk.table])} DROP CONSTRAINT ${sql.identifier([fk.name])}`,
    );
  }
  await load();
  for (const fk of keys) {
    const column = SOURCE_TABLES[fk.table].columns.find((c) => c.name === fk.column);
    const target = SOURCE_TABLES[column?.references as SourceTableName];
    await db.query(sql.unsafe`
      ALTER TABLE ${sql.identifier([fk.table])} ADD CONSTRAINT ${sql.identifier([fk.name])}
      FOREIGN KEY (${sql.identifier([fk.column])})
      REFERENCES ${sql.identifier([target.name])} (${sql.identifier([target.primaryKey])})`);
  }
}

export async function seedSource(pool: DatabasePool, options: SeedOptions): Promise<SeedResult> {
  validateSeedOptions(options);
  const { scale, seed } = options;
  const chunkSize = options.chunkSize ?? 20_000;
  const volumes = plannedVolumes(scale);
  const { startMs, endMs } = seedTimeline(seed);

  await pool.transaction(async (tx) => {
    // One seed at a time per database; the lock is released at commit.
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('totes.seedSource'))`);
    await ensureSourceSchema(tx);
    const present = await nonEmptySourceTables(tx);
    if (present.length > 0) {
      if (!options.reset) {
        throw new SeedRefusedError(
          `the source database already holds rows (${present.join(', ')}); use --reset to truncate it first`,
        );
      }
      const all = sql.join(
        SOURCE_TABLES_IN_DEPENDENCY_ORDER.map((t) => sql.identifier([t])),
        sql.fragment`, `,
      );
      await tx.query(sql.unsafe`TRUNCATE ${all} RESTART IDENTITY CASCADE`);
    }

    await withoutForeignKeys(tx, async () => {
      // Static tables, all created at the epoch.
      const reference = buildReferenceData(createRng(seed, 'reference'), formatTimestamp(startMs));
      await insertRows(
        tx,
        ColumnBatch.of('address', reference.address),
        ColumnBatch.of('counterparty', reference.counterparty),
        ColumnBatch.of('currency', reference.currency),
        ColumnBatch.of('department', reference.department),
        ColumnBatch.of('staff', reference.staff),
        ColumnBatch.of('payment_type', reference.payment_type),
      );

      // Designs: the first at the epoch, the rest spread over the timeline (ids in time order).
      const firstOrderMs = startMs + 1_000;
      const designTimes = new Float64Array(volumes.design);
      designTimes[0] = startMs;
      designTimes.set(
        sortedInstants(createRng(seed, 'design-times'), volumes.design - 1, firstOrderMs, endMs),
        1,
      );
      const designRng = createRng(seed, 'designs');
      let designs = new ColumnBatch('design');
      for (let i = 0; i < designTimes.length; i++) {
        designs.push(designRow(drawDesign(designRng), designTimes[i] as number, i + 1));
        if (designs.size >= chunkSize) {
          await insertRows(tx, designs);
          designs = new ColumnBatch('design');
        }
      }
      await insertRows(tx, designs);

      // Orders: sales and purchases merged in time order; transaction ids follow time. An order
      // references only designs that exist at its created_at.
      const saleTimes = sortedInstants(
        createRng(seed, 'sale-times'),
        volumes.sales_order,
        firstOrderMs,
        endMs,
      );
      const purchaseTimes = sortedInstants(
        createRng(seed, 'purchase-times'),
        volumes.purchase_order,
        firstOrderMs,
        endMs,
      );
      const saleRng = createRng(seed, 'sales');
      const purchaseRng = createRng(seed, 'purchases');
      const refs: ReferenceCounts = {
        address: reference.address.length,
        counterparty: reference.counterparty.length,
        currency: reference.currency.length,
        staff: reference.staff.length,
        design: 0,
      };
      const ordersTotal = volumes.transaction;
      let s = 0;
      let p = 0;
      let transactionId = 0;
      let sales = new ColumnBatch('sales_order');
      let purchases = new ColumnBatch('purchase_order');
      let transactions = new ColumnBatch('transaction');
      let payments = new ColumnBatch('payment');
      // Each chunk is written in one statement while the next one is generated: the write is
      // started, the event loop gets one turn to send it, then generation goes on in parallel
      // with the server. At most one write is in flight (one connection, in order).
      let inFlight: Promise<void> = Promise.resolve();
      const flush = async () => {
        await inFlight;
        const written = transactionId;
        inFlight = insertRows(tx, sales, purchases, transactions, payments).then(() =>
          options.onProgress?.({ ordersWritten: written, ordersTotal }),
        );
        inFlight.catch(() => {}); // observed by the next `await inFlight`
        sales = new ColumnBatch('sales_order');
        purchases = new ColumnBatch('purchase_order');
        transactions = new ColumnBatch('transaction');
        payments = new ColumnBatch('payment');
        await new Promise((resolve) => setImmediate(resolve));
      };
      while (s < saleTimes.length || p < purchaseTimes.length) {
        const nextSale = s < saleTimes.length ? (saleTimes[s] as number) : Number.POSITIVE_INFINITY;
        const nextPurchase =
          p < purchaseTimes.length ? (purchaseTimes[p] as number) : Number.POSITIVE_INFINITY;
        const isSale = nextSale <= nextPurchase;
        const at = isSale ? nextSale : nextPurchase;
        while (refs.design < designTimes.length && (designTimes[refs.design] as number) <= at) refs.design++;
        transactionId++;
        if (isSale) {
          s++;
          const rows = orderRows(drawOrder(saleRng, 'SALE', refs), at, s, transactionId);
          sales.push(rows.sales_order as object);
          transactions.push(rows.transaction);
          payments.push(rows.payment);
        } else {
          p++;
          const rows = orderRows(drawOrder(purchaseRng, 'PURCHASE', refs), at, p, transactionId);
          purchases.push(rows.purchase_order as object);
          transactions.push(rows.transaction);
          payments.push(rows.payment);
        }
        if (transactions.size >= chunkSize) await flush();
      }
      await flush();
      await inFlight;
    });
    await syncSequences(tx);
  });

  return {
    scale,
    seed,
    counts: volumes,
    timelineStart: formatTimestamp(startMs),
    timelineEnd: formatTimestamp(endMs),
  };
}
