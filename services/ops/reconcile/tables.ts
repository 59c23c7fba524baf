import { type FragmentSqlToken, type QuerySqlToken, sql } from 'slonik';
import type { SourceTableName } from '../../../shared/schema/totesys.ts';
import type { DimensionTable, FactTable } from '../../../shared/schema/warehouse.ts';
import { type ColumnKind, currencyName } from './values.ts';

/**
 * The expectation of spec §2.1, written independently of the transform: for each warehouse table,
 * the SQL that reads the source side (already renamed, joined and split the way the warehouse must
 * hold it) and the SQL that reads the warehouse side, both returning every compared column as text
 * (or NULL) and the natural id as `id`, in keyset pages ordered by id.
 */

export type Row = Record<string, unknown> & { readonly id: number };

export interface ColumnCheck {
  /** Warehouse column name. */
  readonly name: string;
  readonly kind: ColumnKind;
  /** Source-side expression, or null when the value is computed in JS (`complete`). */
  readonly source: FragmentSqlToken | null;
  readonly warehouse: FragmentSqlToken;
}

export interface TableCheck {
  readonly table: DimensionTable | FactTable;
  readonly sourceTable: SourceTableName;
  readonly columns: readonly ColumnCheck[];
  sourcePage(after: number | null, limit: number): QuerySqlToken;
  /** Dimensions: every row; facts: the latest version of each natural id. */
  warehousePage(after: number | null, limit: number): QuerySqlToken;
  /** Adds the JS-computed part of the expected row. */
  complete?(row: Row): Row;
  /** Facts only: the natural id column, for version counts and duplicates. */
  readonly naturalId?: string;
}

const id = (...path: string[]): FragmentSqlToken => sql.fragment`${sql.identifier(path)}`;
const asText = (...path: string[]) => sql.fragment`${sql.identifier(path)}::text`;
const dateText = (...path: string[]) => sql.fragment`to_char(${sql.identifier(path)}, 'YYYY-MM-DD')`;
const timeText = (...path: string[]) => sql.fragment`to_char(${sql.identifier(path)}, 'HH24:MI:SS.MS')`;

/** A varchar column with the same name on both sides (source side optionally qualified). */
function text(name: string, source: FragmentSqlToken = id(name)): ColumnCheck {
  return { name, kind: 'text', source, warehouse: id(name) };
}
/** An int column compared as text. */
function int(name: string, source: FragmentSqlToken = asText(name)): ColumnCheck {
  return { name, kind: 'text', source, warehouse: asText(name) };
}

function selectList(
  columns: readonly ColumnCheck[],
  side: 'source' | 'warehouse',
  idExpr: FragmentSqlToken,
): FragmentSqlToken {
  const items = [sql.fragment`${idExpr} AS "id"`];
  for (const c of columns) {
    const expr = side === 'source' ? c.source : c.warehouse;
    if (expr) items.push(sql.fragment`${expr} AS ${id(c.name)}`);
  }
  return sql.fragment`${sql.join(items, sql.fragment`, `)}`;
}

function keyset(key: FragmentSqlToken, after: number | null): FragmentSqlToken {
  return after === null ? sql.fragment`TRUE` : sql.fragment`${key} > ${after}`;
}

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
  const check: TableCheck = {
    table: def.table,
    sourceTable: def.sourceTable,
    columns: def.columns,
    sourcePage: (after, limit) => sql.unsafe`
      SELECT ${selectList(def.columns, 'source', def.sourceId)}
      FROM ${def.from}
      WHERE ${keyset(def.sourceId, after)}
      ORDER BY ${def.sourceId}
      LIMIT ${limit}`,
    warehousePage: (after, limit) => sql.unsafe`
      SELECT ${selectList(def.columns, 'warehouse', id(def.warehouseId))}
      FROM ${id(def.table)}
      WHERE ${keyset(id(def.warehouseId), after)}
      ORDER BY ${id(def.warehouseId)}
      LIMIT ${limit}`,
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
      { name: 'currency_name', kind: 'text', source: null, warehouse: id('currency_name') },
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
const VERSION_COLUMNS: readonly ColumnCheck[] = [
  { name: 'created_date', kind: 'text', source: dateText('created_at'), warehouse: dateText('created_date') },
  { name: 'created_time', kind: 'text', source: timeText('created_at'), warehouse: timeText('created_time') },
  {
    name: 'last_updated_date',
    kind: 'text',
    source: dateText('last_updated'),
    warehouse: dateText('last_updated_date'),
  },
  {
    name: 'last_updated_time',
    kind: 'text',
    source: timeText('last_updated'),
    warehouse: timeText('last_updated_time'),
  },
];

/** A source varchar 'YYYY-MM-DD' that must equal a warehouse date. */
function varcharDate(name: string): ColumnCheck {
  return { name, kind: 'text', source: id(name), warehouse: dateText(name) };
}
function numeric(name: string): ColumnCheck {
  return { name, kind: 'numeric', source: asText(name), warehouse: asText(name) };
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
  return {
    table: def.table,
    sourceTable: def.sourceTable,
    columns,
    naturalId: def.naturalId,
    sourcePage: (after, limit) => sql.unsafe`
      SELECT ${selectList(columns, 'source', key)}
      FROM ${id(def.sourceTable)}
      WHERE ${keyset(key, after)}
      ORDER BY ${key}
      LIMIT ${limit}`,
    // The latest version per natural id: greatest last_updated (date, time); the surrogate key
    // only makes the choice deterministic should a version be stored twice.
    warehousePage: (after, limit) => sql.unsafe`
      SELECT DISTINCT ON (${key}) ${selectList(columns, 'warehouse', key)}
      FROM ${id(def.table)}
      WHERE ${keyset(key, after)}
      ORDER BY ${key}, "last_updated_date" DESC, "last_updated_time" DESC, ${id(def.surrogateKey)} DESC
      LIMIT ${limit}`,
  };
}

export const FACT_CHECKS: readonly TableCheck[] = [
  fact({
    table: 'fact_sales_order',
    sourceTable: 'sales_order',
    naturalId: 'sales_order_id',
    surrogateKey: 'sales_record_id',
    columns: [
      int('sales_staff_id', asText('staff_id')),
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
