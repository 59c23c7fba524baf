/** Writes in-memory processed units to a bucket the way the transform does: Parquet, manifest last. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ProcessedUnit, Row } from '../../../services/lambdas/load/apply.ts';
import { PARQUET_SCHEMAS } from '../../../services/lambdas/transform/parquet-schemas.ts';
import { type ParquetValue, writeParquet } from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';

/** Encodes rows with the transform's own Parquet schema for the table (the real producer's format). */
export function parquetOf(table: WarehouseTable, rows: readonly Row[]): Uint8Array {
  const schema = PARQUET_SCHEMAS[table];
  const data = rows.map((row) => schema.columns.map((c) => row[c.name] as ParquetValue));
  return writeParquet(schema, data).buffer;
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
