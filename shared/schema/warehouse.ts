import { type QuerySqlToken, sql } from 'slonik';

/**
 * The warehouse star schema (spec §2) and the pipeline's own bookkeeping schema, as ordered
 * migrations. Each migration is a list of single statements (slonik runs one per query) of static
 * text; `migrateWarehouse` applies the ones not yet recorded, so running it twice changes nothing.
 */

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly QuerySqlToken[];
}

/** Schema that holds the load ledger, dimension versions and migration history. */
export const PIPELINE_SCHEMA = 'pipeline';

export const DIMENSION_TABLES = [
  'dim_date',
  'dim_staff',
  'dim_location',
  'dim_currency',
  'dim_design',
  'dim_counterparty',
  'dim_transaction',
  'dim_payment_type',
] as const;
export const FACT_TABLES = ['fact_sales_order', 'fact_purchase_order', 'fact_payment'] as const;
export type DimensionTable = (typeof DIMENSION_TABLES)[number];
export type FactTable = (typeof FACT_TABLES)[number];
export type WarehouseTable = DimensionTable | FactTable;
export const WAREHOUSE_TABLES: readonly WarehouseTable[] = [...DIMENSION_TABLES, ...FACT_TABLES];

export const WAREHOUSE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'star schema and pipeline bookkeeping',
    statements: [
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_date" (
        "date_id" date PRIMARY KEY,
        "year" int NOT NULL,
        "month" int NOT NULL,
        "day" int NOT NULL,
        "day_of_week" int NOT NULL CHECK ("day_of_week" BETWEEN 1 AND 7),
        "day_name" varchar NOT NULL,
        "month_name" varchar NOT NULL,
        "quarter" int NOT NULL CHECK ("quarter" BETWEEN 1 AND 4)
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_staff" (
        "staff_id" int PRIMARY KEY,
        "first_name" varchar NOT NULL,
        "last_name" varchar NOT NULL,
        "department_name" varchar NOT NULL,
        "location" varchar NOT NULL,
        "email_address" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_location" (
        "location_id" int PRIMARY KEY,
        "address_line_1" varchar NOT NULL,
        "address_line_2" varchar,
        "district" varchar,
        "city" varchar NOT NULL,
        "postal_code" varchar NOT NULL,
        "country" varchar NOT NULL,
        "phone" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_currency" (
        "currency_id" int PRIMARY KEY,
        "currency_code" varchar NOT NULL,
        "currency_name" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_design" (
        "design_id" int PRIMARY KEY,
        "design_name" varchar NOT NULL,
        "file_location" varchar NOT NULL,
        "file_name" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_counterparty" (
        "counterparty_id" int PRIMARY KEY,
        "counterparty_legal_name" varchar NOT NULL,
        "counterparty_legal_address_line_1" varchar NOT NULL,
        "counterparty_legal_address_line_2" varchar,
        "counterparty_legal_district" varchar,
        "counterparty_legal_city" varchar NOT NULL,
        "counterparty_legal_postal_code" varchar NOT NULL,
        "counterparty_legal_country" varchar NOT NULL,
        "counterparty_legal_phone_number" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_transaction" (
        "transaction_id" int PRIMARY KEY,
        "transaction_type" varchar NOT NULL,
        "sales_order_id" int,
        "purchase_order_id" int
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "dim_payment_type" (
        "payment_type_id" int PRIMARY KEY,
        "payment_type_name" varchar NOT NULL
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "fact_sales_order" (
        "sales_record_id" serial PRIMARY KEY,
        "sales_order_id" int NOT NULL,
        "created_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "created_time" time(3) NOT NULL,
        "last_updated_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "last_updated_time" time(3) NOT NULL,
        "sales_staff_id" int NOT NULL REFERENCES "dim_staff" ("staff_id"),
        "counterparty_id" int NOT NULL REFERENCES "dim_counterparty" ("counterparty_id"),
        "units_sold" int NOT NULL,
        "unit_price" numeric(10, 2) NOT NULL,
        "currency_id" int NOT NULL REFERENCES "dim_currency" ("currency_id"),
        "design_id" int NOT NULL REFERENCES "dim_design" ("design_id"),
        "agreed_payment_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "agreed_delivery_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "agreed_delivery_location_id" int NOT NULL REFERENCES "dim_location" ("location_id"),
        CONSTRAINT "fact_sales_order_version_key" UNIQUE ("sales_order_id", "last_updated_date", "last_updated_time")
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "fact_purchase_order" (
        "purchase_record_id" serial PRIMARY KEY,
        "purchase_order_id" int NOT NULL,
        "created_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "created_time" time(3) NOT NULL,
        "last_updated_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "last_updated_time" time(3) NOT NULL,
        "staff_id" int NOT NULL REFERENCES "dim_staff" ("staff_id"),
        "counterparty_id" int NOT NULL REFERENCES "dim_counterparty" ("counterparty_id"),
        "item_code" varchar NOT NULL,
        "item_quantity" int NOT NULL,
        "item_unit_price" numeric NOT NULL,
        "currency_id" int NOT NULL REFERENCES "dim_currency" ("currency_id"),
        "agreed_delivery_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "agreed_payment_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "agreed_delivery_location_id" int NOT NULL REFERENCES "dim_location" ("location_id"),
        CONSTRAINT "fact_purchase_order_version_key" UNIQUE ("purchase_order_id", "last_updated_date", "last_updated_time")
      )`,
      sql.unsafe`CREATE TABLE IF NOT EXISTS "fact_payment" (
        "payment_record_id" serial PRIMARY KEY,
        "payment_id" int NOT NULL,
        "created_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "created_time" time(3) NOT NULL,
        "last_updated_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        "last_updated_time" time(3) NOT NULL,
        "transaction_id" int NOT NULL REFERENCES "dim_transaction" ("transaction_id"),
        "counterparty_id" int NOT NULL REFERENCES "dim_counterparty" ("counterparty_id"),
        "payment_amount" numeric NOT NULL,
        "currency_id" int NOT NULL REFERENCES "dim_currency" ("currency_id"),
        "payment_type_id" int NOT NULL REFERENCES "dim_payment_type" ("payment_type_id"),
        "paid" boolean NOT NULL,
        "payment_date" date NOT NULL REFERENCES "dim_date" ("date_id"),
        CONSTRAINT "fact_payment_version_key" UNIQUE ("payment_id", "last_updated_date", "last_updated_time")
      )`,
      // One row per applied processed unit, written in the same transaction as the unit's data:
      // a second application finds it and does nothing (exactly-once in effect).
      sql.unsafe`CREATE TABLE IF NOT EXISTS "pipeline"."load_ledger" (
        "unit_id" text PRIMARY KEY,
        "run_id" text NOT NULL,
        "applied_at" timestamptz NOT NULL DEFAULT now(),
        "rows" jsonb NOT NULL,
        "newest_source_update" timestamp(3)
      )`,
      // The source version (last_updated) behind each dimension row, kept apart so the dimensions
      // have exactly the spec's columns: an upsert only wins when its version is newer.
      sql.unsafe`CREATE TABLE IF NOT EXISTS "pipeline"."dimension_version" (
        "dimension" text NOT NULL,
        "id" int NOT NULL,
        "version" timestamp(3) NOT NULL,
        PRIMARY KEY ("dimension", "id")
      )`,
    ],
  },
  {
    version: 2,
    description: 'unit generations (replay): ledger generation, fact rows per unit',
    statements: [
      // Which generation of the unit the warehouse holds: a later generation (a replay) replaces
      // it, an older or equal one is refused (services/lambdas/load/README.md, "Replay").
      sql.unsafe`ALTER TABLE "pipeline"."load_ledger" ADD COLUMN IF NOT EXISTS "generation" int NOT NULL DEFAULT 1`,
      // The surrogate ids of the fact rows each unit inserted, one array per unit and fact table,
      // so a replacing generation removes exactly them, even when the bug changed a version key.
      sql.unsafe`CREATE TABLE IF NOT EXISTS "pipeline"."load_fact_rows" (
        "unit_id" text NOT NULL REFERENCES "pipeline"."load_ledger" ("unit_id") ON DELETE CASCADE,
        "fact_table" text NOT NULL,
        "record_ids" int[] NOT NULL,
        PRIMARY KEY ("unit_id", "fact_table")
      )`,
    ],
  },
  {
    version: 3,
    description: 'quarantine: rows held back per row, with their reason (issue 19 item 6b)',
    statements: [
      // One row per held row of a unit's generation (services/lambdas/load/quarantine.ts):
      // `held` = a source row the transform could not carry (the whole source row); `dependant` =
      // a fact row whose dimension row was held and is not in the warehouse (the whole fact row as
      // the lake carries it, released by the load that brings its dimension rows).
      sql.unsafe`CREATE TABLE IF NOT EXISTS "pipeline"."quarantine" (
        "held_id" serial PRIMARY KEY,
        "unit_id" text NOT NULL,
        "generation" int NOT NULL,
        "kind" text NOT NULL CHECK ("kind" IN ('held', 'dependant')),
        "table_name" text NOT NULL,
        "natural_key" text NOT NULL,
        "version" text,
        "error_class" text NOT NULL,
        "reason" text NOT NULL,
        "row" jsonb NOT NULL,
        "depends_on" jsonb NOT NULL DEFAULT '[]'::jsonb,
        "held_since" timestamptz NOT NULL DEFAULT now(),
        "released_at" timestamptz,
        "released_by" text
      )`,
      sql.unsafe`CREATE INDEX IF NOT EXISTS "quarantine_open" ON "pipeline"."quarantine" ("kind", "unit_id")
        WHERE "released_at" IS NULL`,
    ],
  },
];
