/**
 * DDL derived from a table spec. The warehouse's migrations (../warehouse.ts) stay frozen history:
 * a warehouse that recorded migration 1 must never see its text change, so they are not generated
 * from today's specs. Instead the derivation is the check: test/integration/warehouse-schema.test.ts
 * builds one database from the migrations and one from `createTableStatement` of every spec and
 * compares their catalogs (columns, types, nullability, keys, foreign keys, checks). A new column
 * is one edit in the spec plus a new migration (`addColumnStatement` gives its text); the check
 * fails until both agree.
 */
import { type FragmentSqlToken, type QuerySqlToken, sql } from 'slonik';
import type { ColumnSpec, SqlType, TableSpec } from './spec.ts';

/**
 * DDL takes no bind parameters and SQL is never built from strings, so each numeric size the
 * warehouse uses has its static text here; a spec with another size fails loudly until it is added.
 */
const NUMERIC_SIZES: Readonly<Record<string, FragmentSqlToken>> = {
  '10,2': sql.fragment`numeric(10, 2)`,
};

function unsupportedSize(type: SqlType & { sql: 'numeric' }): never {
  throw new Error(`numeric(${type.precision}, ${type.scale}) has no DDL text yet: add it to NUMERIC_SIZES`);
}

function typeSql(type: SqlType): FragmentSqlToken {
  switch (type.sql) {
    case 'int':
      return sql.fragment`int`;
    case 'serial':
      return sql.fragment`serial`;
    case 'varchar':
      return sql.fragment`varchar`;
    case 'boolean':
      return sql.fragment`boolean`;
    case 'date':
      return sql.fragment`date`;
    case 'time(3)':
      return sql.fragment`time(3)`;
    case 'timestamp(3)':
      return sql.fragment`timestamp(3)`;
    case 'numeric':
      if (type.precision === undefined) return sql.fragment`numeric`;
      return NUMERIC_SIZES[`${type.precision},${type.scale ?? 0}`] ?? unsupportedSize(type);
  }
}

/** `"name" type [PRIMARY KEY | NOT NULL] [REFERENCES …] [CHECK (…)]` */
export function columnDefinition(column: ColumnSpec): FragmentSqlToken {
  const parts: FragmentSqlToken[] = [sql.fragment`${sql.identifier([column.name])} ${typeSql(column.type)}`];
  if (column.key === 'primary' || column.key === 'surrogate') parts.push(sql.fragment`PRIMARY KEY`);
  else if (!column.nullable) parts.push(sql.fragment`NOT NULL`);
  if (column.references) {
    const { table, column: key } = column.references;
    parts.push(sql.fragment`REFERENCES ${sql.identifier([table])} (${sql.identifier([key])})`);
  }
  if (column.check) parts.push(sql.fragment`CHECK (${column.check})`);
  return sql.fragment`${sql.join(parts, sql.fragment` `)}`;
}

export function createTableStatement(spec: TableSpec): QuerySqlToken {
  const items = spec.columns.map(columnDefinition);
  if (spec.versionKey) {
    const keyColumns = sql.join(
      spec.versionKey.columns.map((c) => sql.identifier([c])),
      sql.fragment`, `,
    );
    items.push(sql.fragment`CONSTRAINT ${sql.identifier([spec.versionKey.name])} UNIQUE (${keyColumns})`);
  }
  return sql.unsafe`CREATE TABLE IF NOT EXISTS ${sql.identifier([spec.name])} (
    ${sql.join(items, sql.fragment`,\n    `)}
  )`;
}

/** The statement a migration adds a column with (a NOT NULL column needs a default or an empty table). */
export function addColumnStatement(spec: TableSpec, name: string): QuerySqlToken {
  const column = spec.columns.find((c) => c.name === name);
  if (!column) throw new Error(`table ${spec.name} has no column ${name}`);
  return sql.unsafe`ALTER TABLE ${sql.identifier([spec.name])} ADD COLUMN ${columnDefinition(column)}`;
}
