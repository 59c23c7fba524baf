import { type FragmentSqlToken, type QuerySqlToken, sql } from 'slonik';

/**
 * The totesys source schema (spec §1), as data: the extractor, the generator, the transform's
 * input validation and the tests all read this one description.
 */

export type SourceColumnType = 'int' | 'varchar' | 'numeric' | 'timestamp' | 'boolean';

export interface SourceColumn {
  readonly name: string;
  readonly type: SourceColumnType;
  readonly nullable: boolean;
  /** Declared length of a bounded varchar (currency_code is varchar(3)). */
  readonly length?: number;
  /** Table this column references (an FK in the source). */
  readonly references?: SourceTableName;
}

export interface SourceTable {
  readonly name: SourceTableName;
  readonly primaryKey: string;
  readonly columns: readonly SourceColumn[];
}

/** The eleven source tables, in an order where every table comes after those it references. */
export const SOURCE_TABLE_NAMES = [
  'address',
  'counterparty',
  'currency',
  'department',
  'staff',
  'design',
  'payment_type',
  'sales_order',
  'purchase_order',
  'transaction',
  'payment',
] as const;

export type SourceTableName = (typeof SOURCE_TABLE_NAMES)[number];

const int = (name: string, references?: SourceTableName): SourceColumn =>
  references ? { name, type: 'int', nullable: false, references } : { name, type: 'int', nullable: false };
const nullableInt = (name: string, references: SourceTableName): SourceColumn => ({
  name,
  type: 'int',
  nullable: true,
  references,
});
const text = (name: string, nullable = false): SourceColumn => ({ name, type: 'varchar', nullable });
const numeric = (name: string): SourceColumn => ({ name, type: 'numeric', nullable: false });
const created: SourceColumn = { name: 'created_at', type: 'timestamp', nullable: false };
const updated: SourceColumn = { name: 'last_updated', type: 'timestamp', nullable: false };

/** Columns in their real order (spec §1). */
export const SOURCE_TABLES: Readonly<Record<SourceTableName, SourceTable>> = {
  address: {
    name: 'address',
    primaryKey: 'address_id',
    columns: [
      int('address_id'),
      text('address_line_1'),
      text('address_line_2', true),
      text('district', true),
      text('city'),
      text('postal_code'),
      text('country'),
      text('phone'),
      created,
      updated,
    ],
  },
  counterparty: {
    name: 'counterparty',
    primaryKey: 'counterparty_id',
    columns: [
      int('counterparty_id'),
      text('counterparty_legal_name'),
      int('legal_address_id', 'address'),
      text('commercial_contact', true),
      text('delivery_contact', true),
      created,
      updated,
    ],
  },
  currency: {
    name: 'currency',
    primaryKey: 'currency_id',
    columns: [
      int('currency_id'),
      { name: 'currency_code', type: 'varchar', nullable: false, length: 3 },
      created,
      updated,
    ],
  },
  department: {
    name: 'department',
    primaryKey: 'department_id',
    columns: [
      int('department_id'),
      text('department_name'),
      text('location', true),
      text('manager', true),
      created,
      updated,
    ],
  },
  staff: {
    name: 'staff',
    primaryKey: 'staff_id',
    columns: [
      int('staff_id'),
      text('first_name'),
      text('last_name'),
      int('department_id', 'department'),
      text('email_address'),
      created,
      updated,
    ],
  },
  design: {
    name: 'design',
    primaryKey: 'design_id',
    columns: [
      int('design_id'),
      created,
      updated,
      text('design_name'),
      text('file_location'),
      text('file_name'),
    ],
  },
  payment_type: {
    name: 'payment_type',
    primaryKey: 'payment_type_id',
    columns: [int('payment_type_id'), text('payment_type_name'), created, updated],
  },
  sales_order: {
    name: 'sales_order',
    primaryKey: 'sales_order_id',
    columns: [
      int('sales_order_id'),
      created,
      updated,
      int('design_id', 'design'),
      int('staff_id', 'staff'),
      int('counterparty_id', 'counterparty'),
      int('units_sold'),
      numeric('unit_price'),
      int('currency_id', 'currency'),
      text('agreed_delivery_date'),
      text('agreed_payment_date'),
      int('agreed_delivery_location_id', 'address'),
    ],
  },
  purchase_order: {
    name: 'purchase_order',
    primaryKey: 'purchase_order_id',
    columns: [
      int('purchase_order_id'),
      created,
      updated,
      int('staff_id', 'staff'),
      int('counterparty_id', 'counterparty'),
      text('item_code'),
      int('item_quantity'),
      numeric('item_unit_price'),
      int('currency_id', 'currency'),
      text('agreed_delivery_date'),
      text('agreed_payment_date'),
      int('agreed_delivery_location_id', 'address'),
    ],
  },
  transaction: {
    name: 'transaction',
    primaryKey: 'transaction_id',
    columns: [
      int('transaction_id'),
      text('transaction_type'),
      nullableInt('sales_order_id', 'sales_order'),
      nullableInt('purchase_order_id', 'purchase_order'),
      created,
      updated,
    ],
  },
  payment: {
    name: 'payment',
    primaryKey: 'payment_id',
    columns: [
      int('payment_id'),
      created,
      updated,
      int('transaction_id', 'transaction'),
      int('counterparty_id', 'counterparty'),
      numeric('payment_amount'),
      int('currency_id', 'currency'),
      int('payment_type_id', 'payment_type'),
      { name: 'paid', type: 'boolean', nullable: false },
      text('payment_date'),
      int('company_ac_number'),
      int('counterparty_ac_number'),
    ],
  },
};

export function isSourceTableName(name: string): name is SourceTableName {
  return (SOURCE_TABLE_NAMES as readonly string[]).includes(name);
}

/** Tables whose versions become fact rows; the rest feed dimensions. */
export const FACT_SOURCE_TABLES = [
  'sales_order',
  'purchase_order',
  'payment',
] as const satisfies readonly SourceTableName[];

/** Insertion order that satisfies every foreign key: the names are declared in that order. */
export const SOURCE_TABLES_IN_DEPENDENCY_ORDER: readonly SourceTableName[] = SOURCE_TABLE_NAMES;

const SQL_TYPES: Record<SourceColumnType, FragmentSqlToken> = {
  int: sql.fragment`int`,
  varchar: sql.fragment`varchar`,
  numeric: sql.fragment`numeric`,
  timestamp: sql.fragment`timestamp(3) without time zone`,
  boolean: sql.fragment`boolean`,
};

function columnType(table: SourceTable, column: SourceColumn): FragmentSqlToken {
  // Ids are serial, as in the real database (Prisma autoincrement): simulate relies on the sequence.
  if (column.name === table.primaryKey) return sql.fragment`serial PRIMARY KEY`;
  if (column.type === 'varchar' && column.length === 3) return sql.fragment`varchar(3)`;
  return SQL_TYPES[column.type];
}

/**
 * The source DDL, exactly as spec §1 describes it (timestamp(3), varchar dates, unbounded numeric),
 * one statement per table in dependency order (slonik runs one statement per query).
 */
export function sourceDdlStatements(): QuerySqlToken[] {
  return SOURCE_TABLES_IN_DEPENDENCY_ORDER.map((name) => {
    const table = SOURCE_TABLES[name];
    const columns = table.columns.map((c) => {
      const parts: FragmentSqlToken[] = [sql.fragment`${sql.identifier([c.name])}`, columnType(table, c)];
      if (!c.nullable && c.name !== table.primaryKey) parts.push(sql.fragment`NOT NULL`);
      if (c.references) {
        const target = SOURCE_TABLES[c.references];
        parts.push(
          sql.fragment`REFERENCES ${sql.identifier([target.name])} (${sql.identifier([target.primaryKey])})`,
        );
      }
      return sql.join(parts, sql.fragment` `);
    });
    return sql.unsafe`CREATE TABLE IF NOT EXISTS ${sql.identifier([name])} (${sql.join(columns, sql.fragment`, `)})`;
  });
}
