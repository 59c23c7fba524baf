import { LOAD_TABLES, type ValueKind } from '../../../services/lambdas/load/tables.ts';
import { PARQUET_SCHEMAS } from '../../../services/lambdas/transform/parquet-schemas.ts';
import type { ParquetColumnType } from '../../../shared/parquet/index.ts';
import { WAREHOUSE_TABLES } from '../../../shared/schema/warehouse.ts';

/** What the load expects per Parquet type the transform writes. */
const KIND_OF: Readonly<Record<ParquetColumnType['kind'], ValueKind>> = {
  int32: 'int',
  utf8: 'text',
  boolean: 'boolean',
  date: 'date',
  'time-millis': 'time',
  'timestamp-millis': 'timestamp',
  decimal: 'decimal',
};

describe('the load reads exactly what the transform writes', () => {
  it.each(WAREHOUSE_TABLES)('%s: same columns, order, kinds and nullability', (table) => {
    const written = PARQUET_SCHEMAS[table].columns.map((c) => ({
      name: c.name,
      kind: KIND_OF[c.type.kind],
      nullable: c.nullable,
    }));
    expect(LOAD_TABLES[table].columns).toEqual(written);
  });
});
