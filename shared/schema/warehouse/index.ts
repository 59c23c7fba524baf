/**
 * Every warehouse table's specification, one file per table (dbt-like). Adding a column is one
 * edit in its table's file; the DDL check, the Parquet schema, the transform's rows and the load's
 * staging and merge follow from it (see ./spec.ts, ./ddl.ts, ./lake.ts).
 */
import type { WarehouseTable } from '../warehouse.ts';
import { dim_counterparty } from './dim-counterparty.ts';
import { dim_currency } from './dim-currency.ts';
import { dim_date } from './dim-date.ts';
import { dim_design } from './dim-design.ts';
import { dim_location } from './dim-location.ts';
import { dim_payment_type } from './dim-payment-type.ts';
import { dim_staff } from './dim-staff.ts';
import { dim_transaction } from './dim-transaction.ts';
import { fact_payment } from './fact-payment.ts';
import { fact_purchase_order } from './fact-purchase-order.ts';
import { fact_sales_order } from './fact-sales-order.ts';
import type { TableSpec } from './spec.ts';

export const WAREHOUSE_SPECS: { readonly [T in WarehouseTable]: TableSpec<T> } = {
  dim_date,
  dim_staff,
  dim_location,
  dim_currency,
  dim_design,
  dim_counterparty,
  dim_transaction,
  dim_payment_type,
  fact_sales_order,
  fact_purchase_order,
  fact_payment,
};

export type { ColumnSource, ColumnSpec, SqlType, TableRole, TableSpec } from './spec.ts';
