/** Writes in-memory processed units to a bucket the way the transform does: Parquet, manifest last. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ProcessedUnit, Row } from '../../../services/load/apply.ts';
import { LOAD_TABLES, type ValueKind } from '../../../services/load/tables.ts';
import {
  type ParquetColumnType,
  type ParquetValue,
  UNBOUNDED_DECIMAL_PRECISION,
  writeParquet,
} from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

const PARQUET_TYPE: Readonly<Record<Exclude<ValueKind, 'decimal'>, ParquetColumnType>> = {
  int: { kind: 'int32' },
  text: { kind: 'utf8' },
  date: { kind: 'date' },
  time: { kind: 'time-millis' },
  timestamp: { kind: 'timestamp-millis' },
  boolean: { kind: 'boolean' },
};

export function parquetOf(table: WarehouseTable, rows: readonly Row[]): Uint8Array {
  const columns = LOAD_TABLES[table].columns.map((c) => ({
    name: c.name,
    nullable: c.nullable,
    type:
      c.kind === 'decimal'
        ? c.name === 'unit_price'
          ? ({ kind: 'decimal', precision: 10, scale: 2 } as const)
          : ({ kind: 'decimal', precision: UNBOUNDED_DECIMAL_PRECISION, scale: 'data' } as const)
        : PARQUET_TYPE[c.kind],
  }));
  const data = rows.map((row) => columns.map((c) => row[c.name] as ParquetValue));
  return writeParquet({ name: table, columns }, data).buffer;
}

/** Puts the unit's tables as Parquet objects (the keys its manifest lists), then the manifest. */
export async function putProcessedUnit(
  s3: S3Client,
  bucket: string,
  unit: ProcessedUnit,
  options: { readonly skipObjects?: readonly WarehouseTable[] } = {},
): Promise<{ key: string; eTag: string }> {
  for (const object of unit.manifest.objects) {
    if (options.skipObjects?.includes(object.table)) continue;
    const rows = unit.tables[object.table];
    if (!Array.isArray(rows))
      throw new Error(`test unit ${unit.manifest.unitId}: ${object.table} is not an array`);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: parquetOf(object.table, rows as Row[]) }),
    );
  }
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: unit.manifest.unitId,
      Body: JSON.stringify(unit.manifest),
      ContentType: 'application/json',
    }),
  );
  return { key: unit.manifest.unitId, eTag: (put.ETag ?? '').replace(/"/g, '') };
}
