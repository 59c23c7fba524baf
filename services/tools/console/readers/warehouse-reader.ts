/**
 * Reads the warehouse for the Warehouse page: every query in a READ ONLY transaction with a
 * statement timeout (readers/read-only.ts), on a small pool of the console's own.
 */
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { PIPELINE_SCHEMA, WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import { SnapshotCache } from '../snapshot-cache.ts';
import { DEFAULT_STATEMENT_TIMEOUT_MS, readOnly } from './read-only.ts';
import {
  type ViewFilters,
  type ViewRow,
  viewQuery,
  WAREHOUSE_VIEWS,
  type WarehouseView,
} from './warehouse-views.ts';

export interface ViewResult {
  readonly view: WarehouseView;
  readonly rows: readonly ViewRow[];
  /** When the rows were read (ISO, UTC). */
  readonly readAt: string;
}

export interface TableStats {
  readonly table: string;
  readonly rows: number;
  /** When a unit last wrote rows into it (UTC), null when never. */
  readonly lastLoaded: string | null;
}

/**
 * The views are aggregates over every fact version: at scale 1 reading all of them takes most of a
 * second. A page is served from a snapshot at most `freshMs` old (then, up to `staleMs`, the last
 * one while the next is read; snapshot-cache.ts); the page says when its numbers were read.
 */
export class WarehouseReader {
  readonly #pool: DatabasePool;
  readonly #timeoutMs: number;
  readonly #views: SnapshotCache<ViewResult[]>;
  readonly #tables: SnapshotCache<TableStats[]>;
  readonly #currencies: SnapshotCache<string[]>;

  constructor(pool: DatabasePool, options: { timeoutMs?: number; freshMs?: number; staleMs?: number } = {}) {
    this.#pool = pool;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const ages = { freshMs: options.freshMs ?? 10_000, staleMs: options.staleMs ?? 5 * 60_000 };
    this.#views = new SnapshotCache(ages);
    this.#tables = new SnapshotCache(ages);
    this.#currencies = new SnapshotCache(ages);
  }

  currencies(): Promise<string[]> {
    return this.#currencies.get('currencies', () => this.#readCurrencies());
  }

  /** Every view (or one), for these filters. */
  views(filters: ViewFilters, only?: WarehouseView): Promise<ViewResult[]> {
    const key = JSON.stringify([filters.from, filters.to, filters.currency, only?.id ?? '*']);
    return this.#views.get(key, () => this.#readViews(filters, only));
  }

  tables(): Promise<TableStats[]> {
    return this.#tables.get('tables', () => this.#readTables());
  }

  #readCurrencies(): Promise<string[]> {
    return readOnly(
      this.#pool,
      async (connection) =>
        (
          await connection.anyFirst(
            sql.type(
              z.object({ currency_code: z.string() }),
            )`SELECT "currency_code" FROM "dim_currency" ORDER BY "currency_id"`,
          )
        ).slice(),
      this.#timeoutMs,
    );
  }

  #readViews(filters: ViewFilters, only?: WarehouseView): Promise<ViewResult[]> {
    return readOnly(
      this.#pool,
      async (connection) => {
        const results: ViewResult[] = [];
        for (const view of only ? [only] : WAREHOUSE_VIEWS) {
          results.push({
            view,
            rows: await connection.any(viewQuery(view, filters)),
            readAt: new Date().toISOString(),
          });
        }
        return results;
      },
      this.#timeoutMs,
    );
  }

  #readTables(): Promise<TableStats[]> {
    return readOnly(
      this.#pool,
      async (connection) => {
        const loaded = new Map<string, string>();
        const ledger = sql.identifier([PIPELINE_SCHEMA, 'load_ledger']);
        for (const row of await connection.any(sql.type(
          z.object({ table_name: z.string(), last_loaded: z.string() }),
        )`
          SELECT t.key AS table_name,
                 to_char(max(l."applied_at") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS last_loaded
          FROM ${ledger} l CROSS JOIN LATERAL jsonb_each(l."rows") t
          WHERE coalesce((t.value->>'inserted')::int, 0) + coalesce((t.value->>'updated')::int, 0) > 0
          GROUP BY t.key`)) {
          loaded.set(row.table_name, row.last_loaded);
        }
        const stats: TableStats[] = [];
        for (const table of WAREHOUSE_TABLES) {
          const rows = await connection.oneFirst(
            sql.type(z.object({ count: z.number() }))`SELECT count(*) FROM ${sql.identifier([table])}`,
          );
          stats.push({ table, rows, lastLoaded: loaded.get(table) ?? null });
        }
        return stats;
      },
      this.#timeoutMs,
    );
  }
}
