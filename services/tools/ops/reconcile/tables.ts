import { type FragmentSqlToken, type QuerySqlToken, sql } from 'slonik';
import { z } from 'zod';
import type { SourceTableName } from '../../../../shared/schema/totesys.ts';
import type { DimensionTable, FactTable } from '../../../../shared/schema/warehouse.ts';
import { type ColumnKind, currencyName } from './values.ts';

/**
 * The expectation of spec §2.1, written independently of the transform: for each warehouse table,
 * the SQL that reads the source side (already renamed, joined and split the way the warehouse must
 * hold it) and the SQL that reads the warehouse side, both returning every compared column as text
 * (or NULL) and the natural id as `id`, ordered by id.
 *
 * Two shapes per side: `fingerprint` rows (id, an md5 of the row's native values as row text, and
 * for facts the version) streamed in keyset pages, and `full` rows for a given list of ids, fetched
 * only for ids whose fingerprints differ. Both sides build the fingerprint from values of the same
 * types (numerics through trim_scale, so 2.50 and 2.5 agree), so equal fingerprints mean equal
 * rows; unequal fingerprints only cost a second, exact, column-by-column look.
 */

export type Row = Record<string, unknown> & { readonly id: number };

export interface ColumnCheck {
  /** Warehouse column name. */
  readonly name: string;
  readonly kind: ColumnKind;
  /** Source-side expression, or null when the value is computed in JS (`complete`). */
  readonly source: FragmentSqlToken | null;
  readonly warehouse: FragmentSqlToken;
  /**
   * Native-typed expressions for the fingerprint (ROW(...)::text is cheaper than to_char and
   * quoting): both sides must render equal values as equal text. Where they might not (a server
   * with another DateStyle), fingerprints differ and the row is compared by its text columns.
   */
  readonly fingerprint: { readonly source: FragmentSqlToken | null; readonly warehouse: FragmentSqlToken };
}

/** Which rows a query reads: a keyset page, or exactly the given ids. */
export type RowFilter =
  | { readonly ids: readonly number[] }
  | {
      /** Keyset: ids greater than this (null: from the start). */
      readonly after: number | null;
      /** Page size (null: no limit). */
      readonly limit: number | null;
      /** Optional id range, from inclusive, to exclusive. */
      readonly from?: number;
      readonly to?: number;
    };

/** `full`: every compared column as text; `fingerprint`: id, `fp` (md5), and for facts the version. */
export type RowShape = 'full' | 'fingerprint';

/** One block of ids as a digest query returns it. */
export const BlockDigest = z.object({ block: z.number().int(), rows: z.number().int(), digest: z.string() });
export type BlockDigest = z.infer<typeof BlockDigest>;

export interface TableCheck {
  readonly table: DimensionTable | FactTable;
  readonly sourceTable: SourceTableName;
  readonly columns: readonly ColumnCheck[];
  sourceQuery(shape: RowShape, filter: RowFilter): QuerySqlToken;
  /** Per block of `blockSize` ids: rows and an md5 over the block's (id, fingerprint) pairs. */
  sourceDigest(blockSize: number): QuerySqlToken<typeof BlockDigest>;
  warehouseDigest(blockSize: number): QuerySqlToken<typeof BlockDigest>;
  /** Dimensions: every row; facts: the latest version of each natural id. */
  warehouseQuery(shape: RowShape, filter: RowFilter): QuerySqlToken;
  /** Adds the JS-computed part of the expected row. */
  complete?(row: Row): Row;
  /** Facts only: the natural id column, for version counts and duplicates. */
  readonly naturalId?: string;
}

const id = (...path: string[]): FragmentSqlToken => sql.fragment`${sql.identifier(path)}`;
const asText = (...path: string[]) => sql.fragment`${sql.identifier(path)}::text`;
// Through timestamp (not timestamptz), so neither TimeZone nor DateStyle can change the text.
const dateText = (...path: string[]) =>
  sql.fragment`to_char(${sql.identifier(path)}::timestamp, 'YYYY-MM-DD')`;
const timeText = (...path: string[]) => sql.fragment`to_char(${sql.identifier(path)}, 'HH24:MI:SS.MS')`;

/** A varchar column with the same name on both sides (source side optionally qualified). */
function text(name: string, source: FragmentSqlToken = id(name)): ColumnCheck {
  return { name, kind: 'text', source, warehouse: id(name), fingerprint: { source, warehouse: id(name) } };
}
/** An int column compared as text. */
function int(name: string, sourceName = name): ColumnCheck {
  return {
    name,
    kind: 'text',
    source: asText(sourceName),
    warehouse: asText(name),
    fingerprint: { source: id(sourceName), warehouse: id(name) },
  };
}

/** Columns every fingerprint row also carries as text (the fact version, for messages). */
const CARRIED_IN_FINGERPRINT = new Set(['last_updated_date', 'last_updated_time']);

function selectList(
  columns: readonly ColumnCheck[],
  side: 'source' | 'warehouse',
  idExpr: FragmentSqlToken,
  shape: RowShape,
): FragmentSqlToken {
  const items = [sql.fragment`${idExpr} AS "id"`];
  const native: FragmentSqlToken[] = [];
  for (const c of columns) {
    const expr = side === 'source' ? c.source : c.warehouse;
    const fingerprint = side === 'source' ? c.fingerprint.source : c.fingerprint.warehouse;
    if (!expr || !fingerprint) continue;
    if (shape === 'full' || CARRIED_IN_FINGERPRINT.has(c.name)) {
      items.push(sql.fragment`${expr} AS ${id(c.name)}`);
    }
    native.push(fingerprint);
  }
  if (shape === 'fingerprint') {
    // Row text output quotes what needs quoting and leaves NULL empty (an empty string is ""),
    // so equal texts mean equal rows.
    items.push(sql.fragment`md5(ROW(${sql.join(native, sql.fragment`, `)})::text) AS "fp"`);
  }
  return sql.fragment`${sql.join(items, sql.fragment`, `)}`;
}

function where(key: FragmentSqlToken, filter: RowFilter): FragmentSqlToken {
  if ('ids' in filter) return sql.fragment`${key} = ANY(${sql.array([...filter.ids], 'int4')})`;
  const conditions = [sql.fragment`TRUE`];
  if (filter.after !== null) conditions.push(sql.fragment`${key} > ${filter.after}`);
  if (filter.from !== undefined) conditions.push(sql.fragment`${key} >= ${filter.from}`);
  if (filter.to !== undefined) conditions.push(sql.fragment`${key} < ${filter.to}`);
  return sql.fragment`${sql.join(conditions, sql.fragment` AND `)}`;
}

function limit(filter: RowFilter): FragmentSqlToken {
  return 'ids' in filter || filter.limit === null ? sql.fragment`` : sql.fragment`LIMIT ${filter.limit}`;
}

/** Wraps a fingerprint query into per-block digests (the same text on both sides). */
function digest(fingerprints: FragmentSqlToken, blockSize: number): QuerySqlToken<typeof BlockDigest> {
  return sql.type(BlockDigest)`
    SELECT floor("x"."id"::numeric / ${blockSize})::int AS "block", count(*)::int AS "rows",
      md5(string_agg("x"."id"::text || ':' || "x"."fp", ',' ORDER BY "x"."id")) AS "digest"
    FROM (${fingerprints}) AS "x"
    GROUP BY 1
    ORDER BY 1`;
}

const ALL: RowFilter = { after: null, limit: null };

interface DimensionDefinition {
  readonly table: DimensionTable;
  readonly sourceTable: SourceTableName;
  /** Source FROM clause (with joins) and the qualified source id. */
  readonly from: FragmentSqlToken;
  readonly sourceId: FragmentSqlToken;
  readonly warehouseId: string;
  readonly columns: readonly ColumnCheck[];
  readonly complete?: (row: Row) => Row;
}

function dimension(def: DimensionDefinition): TableCheck {
  const source = (shape: RowShape, filter: RowFilter) => sql.fragment`
    SELECT ${selectList(def.columns, 'source', def.sourceId, shape)}
    FROM ${def.from}
    WHERE ${where(def.sourceId, filter)}
    ORDER BY ${def.sourceId}
    ${limit(filter)}`;
  const warehouse = (shape: RowShape, filter: RowFilter) => sql.fragment`
    SELECT ${selectList(def.columns, 'warehouse', id(def.warehouseId), shape)}
    FROM ${id(def.table)}
    WHERE ${where(id(def.warehouseId), filter)}
    ORDER BY ${id(def.warehouseId)}
    ${limit(filter)}`;
  const check: TableCheck = {
    table: def.table,
    sourceTable: def.sourceTable,
    columns: def.columns,
    // Untyped on purpose: these stream every row of the table in pages (millions at scale), a per-row schema check would cost.
    sourceQuery: (shape, filter) => sql.unsafe`${source(shape, filter)}`,
    warehouseQuery: (shape, filter) => sql.unsafe`${warehouse(shape, filter)}`,
    sourceDigest: (blockSize) => digest(source('fingerprint', ALL), blockSize),
    warehouseDigest: (blockSize) => digest(warehouse('fingerprint', ALL), blockSize),
  };
  return def.complete ? { ...check, complete: def.complete } : check;
}

const ADDRESS_COLUMNS = [
  'address_line_1',
  'address_line_2',
  'district',
  'city',
  'postal_code',
  'country',
  'phone',
] as const;

export const DIMENSION_CHECKS: readonly TableCheck[] = [
  dimension({
    table: 'dim_location',
    sourceTable: 'address',
    from: id('address'),
    sourceId: id('address_id'),
    warehouseId: 'location_id',
    columns: ADDRESS_COLUMNS.map((c) => text(c)),
  }),
  dimension({
    table: 'dim_counterparty',
    sourceTable: 'counterparty',
    from: sql.fragment`"counterparty" AS "c" LEFT JOIN "address" AS "a" ON "a"."address_id" = "c"."legal_address_id"`,
    sourceId: id('c', 'counterparty_id'),
    warehouseId: 'counterparty_id',
    columns: [
      text('counterparty_legal_name', id('c', 'counterparty_legal_name')),
      ...ADDRESS_COLUMNS.map((c) =>
        text(c === 'phone' ? 'counterparty_legal_phone_number' : `counterparty_legal_${c}`, id('a', c)),
      ),
    ],
  }),
  dimension({
    table: 'dim_staff',
    sourceTable: 'staff',
    from: sql.fragment`"staff" AS "s" LEFT JOIN "department" AS "d" ON "d"."department_id" = "s"."department_id"`,
    sourceId: id('s', 'staff_id'),
    warehouseId: 'staff_id',
    columns: [
      text('first_name', id('s', 'first_name')),
      text('last_name', id('s', 'last_name')),
      text('department_name', id('d', 'department_name')),
      text('location', id('d', 'location')),
      text('email_address', id('s', 'email_address')),
    ],
  }),
  dimension({
    table: 'dim_currency',
    sourceTable: 'currency',
    from: id('currency'),
    sourceId: id('currency_id'),
    warehouseId: 'currency_id',
    columns: [
      text('currency_code'),
      {
        name: 'currency_name',
        kind: 'text',
        source: null,
        warehouse: id('currency_name'),
        fingerprint: { source: null, warehouse: id('currency_name') },
      },
    ],
    complete: (row) => ({
      ...row,
      currency_name: typeof row.currency_code === 'string' ? currencyName(row.currency_code) : null,
    }),
  }),
  dimension({
    table: 'dim_design',
    sourceTable: 'design',
    from: id('design'),
    sourceId: id('design_id'),
    warehouseId: 'design_id',
    columns: [text('design_name'), text('file_location'), text('file_name')],
  }),
  dimension({
    table: 'dim_transaction',
    sourceTable: 'transaction',
    from: id('transaction'),
    sourceId: id('transaction_id'),
    warehouseId: 'transaction_id',
    columns: [text('transaction_type'), int('sales_order_id'), int('purchase_order_id')],
  }),
  dimension({
    table: 'dim_payment_type',
    sourceTable: 'payment_type',
    from: id('payment_type'),
    sourceId: id('payment_type_id'),
    warehouseId: 'payment_type_id',
    columns: [text('payment_type_name')],
  }),
];

/** created_at / last_updated split into date + time(3) text, on both sides. */
function versionColumns(prefix: 'created' | 'last_updated', source: string): ColumnCheck[] {
  const date = `${prefix}_date`;
  const time = `${prefix}_time`;
  return [
    {
      name: date,
      kind: 'text',
      source: dateText(source),
      warehouse: dateText(date),
      fingerprint: { source: sql.fragment`${id(source)}::date`, warehouse: id(date) },
    },
    {
      name: time,
      kind: 'text',
      source: timeText(source),
      warehouse: timeText(time),
      fingerprint: { source: sql.fragment`${id(source)}::time`, warehouse: id(time) },
    },
  ];
}
const VERSION_COLUMNS: readonly ColumnCheck[] = [
  ...versionColumns('created', 'created_at'),
  ...versionColumns('last_updated', 'last_updated'),
];

/** A source varchar 'YYYY-MM-DD' that must equal a warehouse date. */
function varcharDate(name: string): ColumnCheck {
  return {
    name,
    kind: 'text',
    source: id(name),
    warehouse: dateText(name),
    fingerprint: { source: id(name), warehouse: id(name) },
  };
}
function numeric(name: string): ColumnCheck {
  const canonical = sql.fragment`trim_scale(${id(name)})`;
  return {
    name,
    kind: 'numeric',
    source: asText(name),
    warehouse: asText(name),
    fingerprint: { source: canonical, warehouse: canonical },
  };
}

interface FactDefinition {
  readonly table: FactTable;
  readonly sourceTable: SourceTableName;
  readonly naturalId: string;
  readonly surrogateKey: string;
  readonly columns: readonly ColumnCheck[];
}

function fact(def: FactDefinition): TableCheck {
  const columns = [...VERSION_COLUMNS, ...def.columns];
  const key = id(def.naturalId);
  const f = id('f', def.naturalId);
  const source = (shape: RowShape, filter: RowFilter) => sql.fragment`
    SELECT ${selectList(columns, 'source', key, shape)}
    FROM ${id(def.sourceTable)}
    WHERE ${where(key, filter)}
    ORDER BY ${key}
    ${limit(filter)}`;
  // The latest version per natural id: greatest last_updated (date, time); the surrogate key
  // only makes the choice deterministic should a version be stored twice. ORDER BY names the
  // table's columns ("f".) because the output columns of the same names are text.
  const warehouse = (shape: RowShape, filter: RowFilter) => sql.fragment`
    SELECT DISTINCT ON (${f}) ${selectList(columns, 'warehouse', f, shape)}
    FROM ${id(def.table)} AS "f"
    WHERE ${where(f, filter)}
    ORDER BY ${f}, "f"."last_updated_date" DESC, "f"."last_updated_time" DESC, ${id('f', def.surrogateKey)} DESC
    ${limit(filter)}`;
  return {
    table: def.table,
    sourceTable: def.sourceTable,
    columns,
    naturalId: def.naturalId,
    // Untyped on purpose: these stream every row of the table in pages (millions at scale), a per-row schema check would cost.
    sourceQuery: (shape, filter) => sql.unsafe`${source(shape, filter)}`,
    warehouseQuery: (shape, filter) => sql.unsafe`${warehouse(shape, filter)}`,
    sourceDigest: (blockSize) => digest(source('fingerprint', ALL), blockSize),
    warehouseDigest: (blockSize) => digest(warehouse('fingerprint', ALL), blockSize),
  };
}

export const FACT_CHECKS: readonly TableCheck[] = [
  fact({
    table: 'fact_sales_order',
    sourceTable: 'sales_order',
    naturalId: 'sales_order_id',
    surrogateKey: 'sales_record_id',
    columns: [
      int('sales_staff_id', 'staff_id'),
      int('counterparty_id'),
      int('units_sold'),
      numeric('unit_price'),
      int('currency_id'),
      int('design_id'),
      varcharDate('agreed_payment_date'),
      varcharDate('agreed_delivery_date'),
      int('agreed_delivery_location_id'),
    ],
  }),
  fact({
    table: 'fact_purchase_order',
    sourceTable: 'purchase_order',
    naturalId: 'purchase_order_id',
    surrogateKey: 'purchase_record_id',
    columns: [
      int('staff_id'),
      int('counterparty_id'),
      text('item_code'),
      int('item_quantity'),
      numeric('item_unit_price'),
      int('currency_id'),
      varcharDate('agreed_delivery_date'),
      varcharDate('agreed_payment_date'),
      int('agreed_delivery_location_id'),
    ],
  }),
  fact({
    table: 'fact_payment',
    sourceTable: 'payment',
    naturalId: 'payment_id',
    surrogateKey: 'payment_record_id',
    columns: [
      int('transaction_id'),
      int('counterparty_id'),
      numeric('payment_amount'),
      int('currency_id'),
      int('payment_type_id'),
      int('paid'), // boolean::text: 'true' / 'false'
      varcharDate('payment_date'),
    ],
  }),
];

/** Fact table → its source table and natural id (for the history mode). */
export const FACT_BY_SOURCE: Readonly<
  Record<'sales_order' | 'purchase_order' | 'payment', { table: FactTable; naturalId: string }>
> = {
  sales_order: { table: 'fact_sales_order', naturalId: 'sales_order_id' },
  purchase_order: { table: 'fact_purchase_order', naturalId: 'purchase_order_id' },
  payment: { table: 'fact_payment', naturalId: 'payment_id' },
};

/** Every fact column of type date, which dim_date must cover (spec §3). */
export const FACT_DATE_COLUMNS: Readonly<Record<FactTable, readonly string[]>> = {
  fact_sales_order: ['created_date', 'last_updated_date', 'agreed_payment_date', 'agreed_delivery_date'],
  fact_purchase_order: ['created_date', 'last_updated_date', 'agreed_delivery_date', 'agreed_payment_date'],
  fact_payment: ['created_date', 'last_updated_date', 'payment_date'],
};
