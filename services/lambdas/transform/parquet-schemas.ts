/**
 * The Parquet schema of every processed table: exactly the warehouse table's columns in DDL order
 * (shared/schema/warehouse.ts; facts without their serial surrogate key), plus `source_version`
 * (TIMESTAMP(ms), required) last on every dimension except dim_date. Nullability as in the DDL.
 *
 * Types: int → INT32; varchar → UTF8; date → DATE; time(3) → TIME(MILLIS); boolean → BOOLEAN;
 * numeric(10,2) → DECIMAL(10,2) (INT64); unbounded numeric → DECIMAL(p, s) with s = the largest
 * scale in the file's data and p = 18 (INT64) when every value fits, else 38
 * (FIXED_LEN_BYTE_ARRAY(16)) — so no source value is ever altered.
 */
import {
  type ParquetColumn,
  type ParquetColumnType,
  type ParquetTableSchema,
  UNBOUNDED_DECIMAL_PRECISION,
} from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

export const SOURCE_VERSION = 'source_version';

const INT: ParquetColumnType = { kind: 'int32' };
const TEXT: ParquetColumnType = { kind: 'utf8' };
const DATE: ParquetColumnType = { kind: 'date' };
const TIME: ParquetColumnType = { kind: 'time-millis' };
const TIMESTAMP: ParquetColumnType = { kind: 'timestamp-millis' };
const BOOLEAN: ParquetColumnType = { kind: 'boolean' };
const MONEY_10_2: ParquetColumnType = { kind: 'decimal', precision: 10, scale: 2 };
const NUMERIC: ParquetColumnType = { kind: 'decimal', precision: UNBOUNDED_DECIMAL_PRECISION, scale: 'data' };

const required = (name: string, type: ParquetColumnType): ParquetColumn => ({ name, type, nullable: false });
const optional = (name: string, type: ParquetColumnType): ParquetColumn => ({ name, type, nullable: true });

const dimension = (name: WarehouseTable, columns: ParquetColumn[]): ParquetTableSchema => ({
  name,
  columns: [...columns, required(SOURCE_VERSION, TIMESTAMP)],
});

const factHead = (naturalId: string): ParquetColumn[] => [
  required(naturalId, INT),
  required('created_date', DATE),
  required('created_time', TIME),
  required('last_updated_date', DATE),
  required('last_updated_time', TIME),
];

export const PARQUET_SCHEMAS: Readonly<Record<WarehouseTable, ParquetTableSchema>> = {
  dim_date: {
    name: 'dim_date',
    columns: [
      required('date_id', DATE),
      required('year', INT),
      required('month', INT),
      required('day', INT),
      required('day_of_week', INT),
      required('day_name', TEXT),
      required('month_name', TEXT),
      required('quarter', INT),
    ],
  },
  dim_staff: dimension('dim_staff', [
    required('staff_id', INT),
    required('first_name', TEXT),
    required('last_name', TEXT),
    required('department_name', TEXT),
    required('location', TEXT),
    required('email_address', TEXT),
  ]),
  dim_location: dimension('dim_location', [
    required('location_id', INT),
    required('address_line_1', TEXT),
    optional('address_line_2', TEXT),
    optional('district', TEXT),
    required('city', TEXT),
    required('postal_code', TEXT),
    required('country', TEXT),
    required('phone', TEXT),
  ]),
  dim_currency: dimension('dim_currency', [
    required('currency_id', INT),
    required('currency_code', TEXT),
    required('currency_name', TEXT),
  ]),
  dim_design: dimension('dim_design', [
    required('design_id', INT),
    required('design_name', TEXT),
    required('file_location', TEXT),
    required('file_name', TEXT),
  ]),
  dim_counterparty: dimension('dim_counterparty', [
    required('counterparty_id', INT),
    required('counterparty_legal_name', TEXT),
    required('counterparty_legal_address_line_1', TEXT),
    optional('counterparty_legal_address_line_2', TEXT),
    optional('counterparty_legal_district', TEXT),
    required('counterparty_legal_city', TEXT),
    required('counterparty_legal_postal_code', TEXT),
    required('counterparty_legal_country', TEXT),
    required('counterparty_legal_phone_number', TEXT),
  ]),
  dim_transaction: dimension('dim_transaction', [
    required('transaction_id', INT),
    required('transaction_type', TEXT),
    optional('sales_order_id', INT),
    optional('purchase_order_id', INT),
  ]),
  dim_payment_type: dimension('dim_payment_type', [
    required('payment_type_id', INT),
    required('payment_type_name', TEXT),
  ]),
  fact_sales_order: {
    name: 'fact_sales_order',
    columns: [
      ...factHead('sales_order_id'),
      required('sales_staff_id', INT),
      required('counterparty_id', INT),
      required('units_sold', INT),
      required('unit_price', MONEY_10_2),
      required('currency_id', INT),
      required('design_id', INT),
      required('agreed_payment_date', DATE),
      required('agreed_delivery_date', DATE),
      required('agreed_delivery_location_id', INT),
    ],
  },
  fact_purchase_order: {
    name: 'fact_purchase_order',
    columns: [
      ...factHead('purchase_order_id'),
      required('staff_id', INT),
      required('counterparty_id', INT),
      required('item_code', TEXT),
      required('item_quantity', INT),
      required('item_unit_price', NUMERIC),
      required('currency_id', INT),
      required('agreed_delivery_date', DATE),
      required('agreed_payment_date', DATE),
      required('agreed_delivery_location_id', INT),
    ],
  },
  fact_payment: {
    name: 'fact_payment',
    columns: [
      ...factHead('payment_id'),
      required('transaction_id', INT),
      required('counterparty_id', INT),
      required('payment_amount', NUMERIC),
      required('currency_id', INT),
      required('payment_type_id', INT),
      required('paid', BOOLEAN),
      required('payment_date', DATE),
    ],
  },
};
