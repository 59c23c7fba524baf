/**
 * The table specs (shared/schema/warehouse/) are the one declaration of each warehouse table; the
 * DDL, the Parquet schema, the transform's rows and the load's staging and merge are derived from
 * them. These tests check that the derivations agree for every table, and that adding a column is
 * one edit in a spec (the acceptance test of issue 14 item 1).
 */
import { describe, expect, test } from '@jest/globals';
import { mergeStatement, stageRow } from '../../../services/lambdas/load/merge.ts';
import { type LoadTable, loadTableOf } from '../../../services/lambdas/load/tables.ts';
import { parquetSchemaOf } from '../../../services/lambdas/transform/parquet-schemas.ts';
import { rowBuilder } from '../../../services/lambdas/transform/rows.ts';
import type { ParquetColumnType } from '../../../shared/parquet/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { ValueKind } from '../../../shared/schema/value-kinds.ts';
import { addColumnStatement, createTableStatement } from '../../../shared/schema/warehouse/ddl.ts';
import { WAREHOUSE_SPECS } from '../../../shared/schema/warehouse/index.ts';
import { SOURCE_VERSION } from '../../../shared/schema/warehouse/lake.ts';
import { columns, from, type TableSpec, varchar } from '../../../shared/schema/warehouse/spec.ts';
import { WAREHOUSE_TABLES } from '../../../shared/schema/warehouse.ts';
import { row } from '../transform/fixtures.ts';

/** What Parquet type the lake uses for each value kind (unbounded numerics: decimal of data scale). */
const PARQUET_KIND: Readonly<Record<ValueKind, ParquetColumnType['kind']>> = {
  int: 'int32',
  text: 'utf8',
  boolean: 'boolean',
  date: 'date',
  time: 'time-millis',
  timestamp: 'timestamp-millis',
  decimal: 'decimal',
};

/** The column names a CREATE TABLE statement declares, in order. */
function ddlColumns(statement: string): string[] {
  return [...statement.matchAll(/^\s*"([a-z0-9_]+)" [a-z]/gm)].map((m) => m[1]!);
}

/** Everything the derivations say about a table's lake columns, side by side. */
function derivations(spec: TableSpec) {
  const ddl = createTableStatement(spec).sql;
  const parquet = parquetSchemaOf(spec);
  const load = loadTableOf(spec);
  return { ddl, parquet, load };
}

function expectAgreement(spec: TableSpec): void {
  const { ddl, parquet, load } = derivations(spec);
  const inTable = spec.columns.filter((c) => c.source.kind !== 'generated').map((c) => c.name);
  const inLake = spec.role === 'dimension' ? [...inTable, SOURCE_VERSION] : inTable;
  // DDL: every spec column, surrogate key included.
  expect(ddlColumns(ddl)).toEqual(spec.columns.map((c) => c.name));
  expect(parquet.columns.map((c) => c.name)).toEqual(inLake);
  expect(load.columns.map((c) => c.name)).toEqual(inLake);
  load.columns.forEach((column, i) => {
    expect(PARQUET_KIND[column.kind]).toBe(parquet.columns[i]!.type.kind);
    expect(column.nullable).toBe(parquet.columns[i]!.nullable);
  });
}

/** A staged row of the load table, a value of each column's kind. */
function sampleRow(load: LoadTable): Record<string, unknown> {
  const sample: Record<ValueKind, unknown> = {
    int: 1,
    text: 'x',
    boolean: true,
    date: '2024-02-29',
    time: '10:00:00.123',
    timestamp: '2024-02-29 10:00:00.123',
    decimal: '2.57',
  };
  return Object.fromEntries(load.columns.map((c) => [c.name, sample[c.kind]]));
}

describe('every table spec', () => {
  test.each(WAREHOUSE_TABLES)('%s: DDL, Parquet schema and load columns agree', (table) => {
    expectAgreement(WAREHOUSE_SPECS[table]);
  });

  test.each(WAREHOUSE_TABLES)('%s: each source column named exists and has a compatible type', (table) => {
    const spec = WAREHOUSE_SPECS[table];
    for (const column of spec.columns) {
      const { source } = column;
      if (source.kind === 'derived' || source.kind === 'generated') continue;
      const sourceTable: SourceTableName = (source.kind === 'column' && source.table) || spec.source!;
      const found = SOURCE_TABLES[sourceTable].columns.find((c) => c.name === source.column);
      expect({ column: column.name, from: `${sourceTable}.${source.column}`, found: !!found }).toMatchObject({
        found: true,
      });
      const compatible: Record<string, readonly ValueKind[]> = {
        int: ['int'],
        varchar: ['text', 'date'],
        numeric: ['decimal'],
        boolean: ['boolean'],
        timestamp: source.kind === 'column' ? ['timestamp'] : ['date', 'time'],
      };
      expect(compatible[found!.type]).toContain(column.type.kind);
    }
  });

  test.each(WAREHOUSE_TABLES)('%s: the transform builds rows in the Parquet column order', (table) => {
    const spec = WAREHOUSE_SPECS[table];
    expect(rowBuilder(spec).columns.map((c) => c.name)).toEqual(
      parquetSchemaOf(spec).columns.map((c) => c.name),
    );
  });

  test('renames are written out by name', () => {
    const salesStaff = WAREHOUSE_SPECS.fact_sales_order.columns.find((c) => c.name === 'sales_staff_id');
    expect(salesStaff?.source).toEqual(from('staff_id'));
    const phone = WAREHOUSE_SPECS.dim_counterparty.columns.find(
      (c) => c.name === 'counterparty_legal_phone_number',
    );
    expect(phone?.source).toEqual({ kind: 'column', table: 'address', column: 'phone' });
  });
});

describe('adding a column is one edit in the spec', () => {
  // The one edit: dim_counterparty gains the source's (nullable) commercial contact.
  const base = WAREHOUSE_SPECS.dim_counterparty;
  const extended: TableSpec = {
    ...base,
    columns: [
      ...base.columns,
      ...columns({ commercial_contact: varchar(from('commercial_contact'), { nullable: true }) }),
    ],
  };
  const { ddl, parquet, load } = derivations(extended);

  test('the DDL declares it, and the next migration adds it', () => {
    expect(ddl).toContain('"commercial_contact" varchar');
    expect(ddl).not.toMatch(/"commercial_contact" varchar NOT NULL/);
    expect(addColumnStatement(extended, 'commercial_contact').sql).toBe(
      'ALTER TABLE "dim_counterparty" ADD COLUMN "commercial_contact" varchar',
    );
    expect(derivations(base).ddl).not.toContain('commercial_contact');
  });

  test('the Parquet schema carries it (optional UTF8), before source_version', () => {
    expect(parquet.columns.slice(-2)).toEqual([
      { name: 'commercial_contact', type: { kind: 'utf8' }, nullable: true },
      { name: SOURCE_VERSION, type: { kind: 'timestamp-millis' }, nullable: false },
    ]);
  });

  test('the load stages it as varchar and merges it into the table', () => {
    expect(load.columns.find((c) => c.name === 'commercial_contact')).toEqual({
      name: 'commercial_contact',
      kind: 'text',
      nullable: true,
    });
    const staged = stageRow(load, sampleRow(load), 0);
    const merge = mergeStatement(load, [staged]).sql;
    // Staging: one typed array per column; the new one among them.
    expect(merge.match(/::varchar\[\]/g)).toHaveLength(load.columns.filter((c) => c.kind === 'text').length);
    expect(merge).toContain('"commercial_contact" = EXCLUDED."commercial_contact"');
    expect(merge).toMatch(/INSERT INTO "dim_counterparty" AS d \([^)]*"commercial_contact"\)/);
  });

  test('the transform fills it from the source column it names', () => {
    const builder = rowBuilder(extended);
    const built = builder.build(
      {
        counterparty: row('counterparty', { counterparty_id: 7, commercial_contact: 'Micheal Toy' }),
        address: row('address', { address_id: 1 }),
      },
      'test',
      { [SOURCE_VERSION]: '2024-02-29 10:00:00.123' },
    );
    expect(built[builder.position('commercial_contact')]).toBe('Micheal Toy');
    expect(built[builder.position('counterparty_id')]).toBe(7);
  });

  test('all derivations still agree', () => {
    expectAgreement(extended);
  });
});
