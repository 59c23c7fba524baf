/**
 * The Warehouse page's views of the star schema, one definition each: its SQL (slonik `sql`
 * tag, values bound, never concatenated), its columns (which are also the CSV's) and how it is
 * charted. Facts keep every version of a source row (spec §2), so each view reads the latest
 * version per natural id, as reconcile does. Money is summed in SQL as numeric and comes back as
 * exact decimal text; it is never summed across currencies.
 */
import { type FragmentSqlToken, sql } from 'slonik';
import { z } from 'zod';
import type { CsvColumn } from '../csv.ts';
import type { DateRange } from '../inputs.ts';

export interface ViewFilters extends DateRange {
  /** Currency code for the views in money that would otherwise mix currencies. */
  readonly currency: string;
}

export type ChartSpec =
  | { readonly kind: 'bars'; readonly label: readonly string[]; readonly value: string }
  | {
      readonly kind: 'series';
      readonly style: 'lines' | 'columns';
      readonly category: string;
      readonly series: readonly { readonly key: string; readonly name: string }[];
    }
  | {
      /** Long rows (category, series, value) pivoted into one series per distinct `seriesKey`. */
      readonly kind: 'pivot';
      readonly style: 'lines' | 'columns';
      readonly category: string;
      readonly seriesKey: string;
      readonly value: string;
    };

export interface WarehouseView {
  /** URL-safe id: `/warehouse/<id>.csv`. */
  readonly id: string;
  readonly title: string;
  /** What is counted and how (shown under the title). */
  readonly note: (filters: ViewFilters) => string;
  readonly columns: readonly CsvColumn[];
  readonly chart: ChartSpec;
  /** The SELECT; run typed by `viewQuery`, whose row schema follows `columns`. */
  readonly select: (filters: ViewFilters) => FragmentSqlToken;
}

const latest = {
  sales: sql.fragment`SELECT DISTINCT ON ("sales_order_id") * FROM "fact_sales_order"
    ORDER BY "sales_order_id", "last_updated_date" DESC, "last_updated_time" DESC`,
  purchases: sql.fragment`SELECT DISTINCT ON ("purchase_order_id") * FROM "fact_purchase_order"
    ORDER BY "purchase_order_id", "last_updated_date" DESC, "last_updated_time" DESC`,
  payments: sql.fragment`SELECT DISTINCT ON ("payment_id") * FROM "fact_payment"
    ORDER BY "payment_id", "last_updated_date" DESC, "last_updated_time" DESC`,
};

/** `column BETWEEN from AND to`, either end open; TRUE when both are. */
function within(column: FragmentSqlToken, range: DateRange): FragmentSqlToken {
  const parts: FragmentSqlToken[] = [];
  if (range.from) parts.push(sql.fragment`${column} >= ${range.from}::date`);
  if (range.to) parts.push(sql.fragment`${column} <= ${range.to}::date`);
  return parts.length ? sql.fragment`${sql.join(parts, sql.fragment` AND `)}` : sql.fragment`TRUE`;
}

const period = (f: DateRange) =>
  f.from || f.to ? ` from ${f.from ?? 'the start'} to ${f.to ?? 'today'}` : ', all dates';

const col = (key: string, label: string, kind: CsvColumn['kind']): CsvColumn => ({ key, label, kind });

export const WAREHOUSE_VIEWS: readonly WarehouseView[] = [
  {
    id: 'revenue-by-month',
    title: 'Revenue by month and currency',
    note: (f) =>
      `units sold × unit price of each sales order (latest version), by the month it was created${period(f)}`,
    columns: [
      col('month', 'month', 'text'),
      col('currency', 'currency', 'text'),
      col('orders', 'orders', 'int'),
      col('revenue', 'revenue', 'decimal'),
    ],
    chart: { kind: 'pivot', style: 'lines', category: 'month', seriesKey: 'currency', value: 'revenue' },
    select: (f) => sql.fragment`
      WITH sales AS (${latest.sales})
      SELECT to_char(s."created_date", 'YYYY-MM') AS month, c."currency_code" AS currency,
             count(*)::int AS orders, sum(s."units_sold" * s."unit_price")::numeric(16, 2) AS revenue
      FROM sales s JOIN "dim_currency" c USING ("currency_id")
      WHERE ${within(sql.fragment`s."created_date"`, f)}
      GROUP BY 1, 2 ORDER BY 1, 2`,
  },
  {
    id: 'top-designs',
    title: 'Top designs by units sold',
    note: (f) => `the 10 designs with the most units sold (latest order versions)${period(f)}`,
    columns: [
      col('design_id', 'design id', 'int'),
      col('design', 'design', 'text'),
      col('orders', 'orders', 'int'),
      col('units', 'units sold', 'int'),
    ],
    chart: { kind: 'bars', label: ['design'], value: 'units' },
    select: (f) => sql.fragment`
      WITH sales AS (${latest.sales})
      SELECT d."design_id" AS design_id, d."design_name" AS design, count(*)::int AS orders,
             sum(s."units_sold")::int AS units
      FROM sales s JOIN "dim_design" d USING ("design_id")
      WHERE ${within(sql.fragment`s."created_date"`, f)}
      GROUP BY d."design_id", d."design_name" ORDER BY units DESC, d."design_id" LIMIT 10`,
  },
  {
    id: 'sales-by-counterparty',
    title: 'Sales by counterparty',
    note: (f) => `the 15 counterparties with the most revenue in ${f.currency}${period(f)}`,
    columns: [
      col('counterparty', 'counterparty', 'text'),
      col('orders', 'orders', 'int'),
      col('units', 'units sold', 'int'),
      col('revenue', `revenue`, 'decimal'),
    ],
    chart: { kind: 'bars', label: ['counterparty'], value: 'revenue' },
    select: (f) => sql.fragment`
      WITH sales AS (${latest.sales})
      SELECT p."counterparty_legal_name" AS counterparty, count(*)::int AS orders,
             sum(s."units_sold")::int AS units, sum(s."units_sold" * s."unit_price")::numeric(16, 2) AS revenue
      FROM sales s
        JOIN "dim_counterparty" p USING ("counterparty_id")
        JOIN "dim_currency" c USING ("currency_id")
      WHERE c."currency_code" = ${f.currency} AND ${within(sql.fragment`s."created_date"`, f)}
      GROUP BY p."counterparty_id", p."counterparty_legal_name"
      ORDER BY revenue DESC, p."counterparty_legal_name" LIMIT 15`,
  },
  {
    id: 'sales-by-place',
    title: 'Sales by delivery city and country',
    note: (f) => `the 15 delivery places with the most revenue in ${f.currency}${period(f)}`,
    columns: [
      col('city', 'city', 'text'),
      col('country', 'country', 'text'),
      col('orders', 'orders', 'int'),
      col('units', 'units sold', 'int'),
      col('revenue', 'revenue', 'decimal'),
    ],
    chart: { kind: 'bars', label: ['city', 'country'], value: 'revenue' },
    select: (f) => sql.fragment`
      WITH sales AS (${latest.sales})
      SELECT l."city" AS city, l."country" AS country, count(*)::int AS orders,
             sum(s."units_sold")::int AS units, sum(s."units_sold" * s."unit_price")::numeric(16, 2) AS revenue
      FROM sales s
        JOIN "dim_location" l ON l."location_id" = s."agreed_delivery_location_id"
        JOIN "dim_currency" c USING ("currency_id")
      WHERE c."currency_code" = ${f.currency} AND ${within(sql.fragment`s."created_date"`, f)}
      GROUP BY l."country", l."city" ORDER BY revenue DESC, l."country", l."city" LIMIT 15`,
  },
  {
    id: 'purchases-vs-sales',
    title: 'Purchases against sales',
    note: (f) =>
      `orders and units per month they were created: units sold against items purchased (latest versions)${period(f)}`,
    columns: [
      col('month', 'month', 'text'),
      col('sales_orders', 'sales orders', 'int'),
      col('units_sold', 'units sold', 'int'),
      col('purchase_orders', 'purchase orders', 'int'),
      col('items_purchased', 'items purchased', 'int'),
    ],
    chart: {
      kind: 'series',
      style: 'lines',
      category: 'month',
      series: [
        { key: 'units_sold', name: 'units sold' },
        { key: 'items_purchased', name: 'items purchased' },
      ],
    },
    select: (f) => sql.fragment`
      WITH sales AS (${latest.sales}), purchases AS (${latest.purchases}),
      s AS (
        SELECT to_char("created_date", 'YYYY-MM') AS month, count(*) AS orders, sum("units_sold") AS units
        FROM sales WHERE ${within(sql.fragment`"created_date"`, f)} GROUP BY 1
      ),
      p AS (
        SELECT to_char("created_date", 'YYYY-MM') AS month, count(*) AS orders, sum("item_quantity") AS units
        FROM purchases WHERE ${within(sql.fragment`"created_date"`, f)} GROUP BY 1
      )
      SELECT month, coalesce(s.orders, 0)::int AS sales_orders, coalesce(s.units, 0)::int AS units_sold,
             coalesce(p.orders, 0)::int AS purchase_orders, coalesce(p.units, 0)::int AS items_purchased
      FROM s FULL JOIN p USING (month) ORDER BY month`,
  },
  {
    id: 'payments-by-date',
    title: 'Payments paid and due by date',
    note: (f) =>
      `payment amounts in ${f.currency} by the month of their payment date, paid and still due (latest versions)${period(f)}`,
    columns: [
      col('month', 'month', 'text'),
      col('paid_count', 'payments paid', 'int'),
      col('paid', 'amount paid', 'decimal'),
      col('due_count', 'payments due', 'int'),
      col('due', 'amount due', 'decimal'),
    ],
    chart: {
      kind: 'series',
      style: 'columns',
      category: 'month',
      series: [
        { key: 'paid', name: 'paid' },
        { key: 'due', name: 'due' },
      ],
    },
    select: (f) => sql.fragment`
      WITH payments AS (${latest.payments})
      SELECT to_char(p."payment_date", 'YYYY-MM') AS month,
             count(*) FILTER (WHERE p."paid")::int AS paid_count,
             coalesce(sum(p."payment_amount") FILTER (WHERE p."paid"), 0)::numeric(16, 2) AS paid,
             count(*) FILTER (WHERE NOT p."paid")::int AS due_count,
             coalesce(sum(p."payment_amount") FILTER (WHERE NOT p."paid"), 0)::numeric(16, 2) AS due
      FROM payments p JOIN "dim_currency" c USING ("currency_id")
      WHERE c."currency_code" = ${f.currency} AND ${within(sql.fragment`p."payment_date"`, f)}
      GROUP BY 1 ORDER BY 1`,
  },
];

/** A row's schema from the view's columns: text and exact decimals as strings, counts as numbers. */
export function rowSchema(columns: readonly CsvColumn[]) {
  return z.object(
    Object.fromEntries(
      columns.map((c) => [c.key, c.kind === 'int' ? z.number().nullable() : z.string().nullable()]),
    ),
  );
}

export type ViewRow = Readonly<Record<string, string | number | null>>;

/** The view's query, typed: slonik checks every row against `rowSchema(view.columns)`. */
export function viewQuery(view: WarehouseView, filters: ViewFilters) {
  return sql.type(rowSchema(view.columns))`${view.select(filters)}`;
}

export function viewById(id: string): WarehouseView | undefined {
  return WAREHOUSE_VIEWS.find((v) => v.id === id);
}
