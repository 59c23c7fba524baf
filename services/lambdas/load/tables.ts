import {
  DIMENSION_TABLES,
  type DimensionTable,
  FACT_TABLES,
  type FactTable,
  type WarehouseTable,
} from '../../../shared/schema/warehouse.ts';

/**
 * What the load needs to know about each warehouse table: the columns a processed unit carries
 * (facts without their serial surrogate key; dimensions other than dim_date with `source_version`),
 * the kind of each value (it fixes the staging type and the JavaScript type checked while staging,
 * so a transform bug fails loudly instead of being coerced by PostgreSQL), and the merge's
 * conflict target.
 */
export type ValueKind = 'int' | 'decimal' | 'text' | 'date' | 'time' | 'timestamp' | 'boolean';

export interface LoadColumn {
  readonly name: string;
  readonly kind: ValueKind;
  readonly nullable: boolean;
}

interface TableBase {
  readonly name: WarehouseTable;
  readonly columns: readonly LoadColumn[];
}

export interface DateDimensionSpec extends TableBase {
  readonly role: 'date';
  readonly key: 'date_id';
}

export interface VersionedDimensionSpec extends TableBase {
  readonly role: 'dimension';
  readonly name: Exclude<DimensionTable, 'dim_date'>;
  readonly key: string;
}

export interface FactSpec extends TableBase {
  readonly role: 'fact';
  readonly name: FactTable;
  /** The natural id; with last_updated_date + last_updated_time it forms `<table>_version_key`. */
  readonly naturalId: string;
  readonly versionConstraint: string;
}

export type TableSpec = DateDimensionSpec | VersionedDimensionSpec | FactSpec;

const col = (name: string, kind: ValueKind, nullable = false): LoadColumn => ({ name, kind, nullable });

/** The source version carried by every dimension row except dim_date. */
export const SOURCE_VERSION_COLUMN = 'source_version';
const sourceVersion = col(SOURCE_VERSION_COLUMN, 'timestamp');

const dimension = (
  name: Exclude<DimensionTable, 'dim_date'>,
  key: string,
  columns: readonly LoadColumn[],
): VersionedDimensionSpec => ({
  role: 'dimension',
  name,
  key,
  columns: [col(key, 'int'), ...columns, sourceVersion],
});

const fact = (name: FactTable, naturalId: string, columns: readonly LoadColumn[]): FactSpec => ({
  role: 'fact',
  name,
  naturalId,
  versionConstraint: `${name}_version_key`,
  columns: [
    col(naturalId, 'int'),
    col('created_date', 'date'),
    col('created_time', 'time'),
    col('last_updated_date', 'date'),
    col('last_updated_time', 'time'),
    ...columns,
  ],
});

export const LOAD_TABLES: Readonly<Record<WarehouseTable, TableSpec>> = {
  dim_date: {
    role: 'date',
    name: 'dim_date',
    key: 'date_id',
    columns: [
      col('date_id', 'date'),
      col('year', 'int'),
      col('month', 'int'),
      col('day', 'int'),
      col('day_of_week', 'int'),
      col('day_name', 'text'),
      col('month_name', 'text'),
      col('quarter', 'int'),
    ],
  },
  dim_staff: dimension('dim_staff', 'staff_id', [
    col('first_name', 'text'),
    col('last_name', 'text'),
    col('department_name', 'text'),
    col('location', 'text'),
    col('email_address', 'text'),
  ]),
  dim_location: dimension('dim_location', 'location_id', [
    col('address_line_1', 'text'),
    col('address_line_2', 'text', true),
    col('district', 'text', true),
    col('city', 'text'),
    col('postal_code', 'text'),
    col('country', 'text'),
    col('phone', 'text'),
  ]),
  dim_currency: dimension('dim_currency', 'currency_id', [
    col('currency_code', 'text'),
    col('currency_name', 'text'),
  ]),
  dim_design: dimension('dim_design', 'design_id', [
    col('design_name', 'text'),
    col('file_location', 'text'),
    col('file_name', 'text'),
  ]),
  dim_counterparty: dimension('dim_counterparty', 'counterparty_id', [
    col('counterparty_legal_name', 'text'),
    col('counterparty_legal_address_line_1', 'text'),
    col('counterparty_legal_address_line_2', 'text', true),
    col('counterparty_legal_district', 'text', true),
    col('counterparty_legal_city', 'text'),
    col('counterparty_legal_postal_code', 'text'),
    col('counterparty_legal_country', 'text'),
    col('counterparty_legal_phone_number', 'text'),
  ]),
  dim_transaction: dimension('dim_transaction', 'transaction_id', [
    col('transaction_type', 'text'),
    col('sales_order_id', 'int', true),
    col('purchase_order_id', 'int', true),
  ]),
  dim_payment_type: dimension('dim_payment_type', 'payment_type_id', [col('payment_type_name', 'text')]),
  fact_sales_order: fact('fact_sales_order', 'sales_order_id', [
    col('sales_staff_id', 'int'),
    col('counterparty_id', 'int'),
    col('units_sold', 'int'),
    col('unit_price', 'decimal'),
    col('currency_id', 'int'),
    col('design_id', 'int'),
    col('agreed_payment_date', 'date'),
    col('agreed_delivery_date', 'date'),
    col('agreed_delivery_location_id', 'int'),
  ]),
  fact_purchase_order: fact('fact_purchase_order', 'purchase_order_id', [
    col('staff_id', 'int'),
    col('counterparty_id', 'int'),
    col('item_code', 'text'),
    col('item_quantity', 'int'),
    col('item_unit_price', 'decimal'),
    col('currency_id', 'int'),
    col('agreed_delivery_date', 'date'),
    col('agreed_payment_date', 'date'),
    col('agreed_delivery_location_id', 'int'),
  ]),
  fact_payment: fact('fact_payment', 'payment_id', [
    col('transaction_id', 'int'),
    col('counterparty_id', 'int'),
    col('payment_amount', 'decimal'),
    col('currency_id', 'int'),
    col('payment_type_id', 'int'),
    col('paid', 'boolean'),
    col('payment_date', 'date'),
  ]),
};

/** Dimensions (dim_date first) before facts: a fact's foreign keys always find their rows. */
export const LOAD_ORDER: readonly WarehouseTable[] = [...DIMENSION_TABLES, ...FACT_TABLES];
