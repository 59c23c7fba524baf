/** Writes ingestion units (table objects, then the manifest) to the emulated ingestion bucket. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  ingestionTableKey,
  manifestKey,
  type SourceValue,
} from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { row } from '../../unit/transform/fixtures.ts';

export type UnitTables = Partial<Record<SourceTableName, Record<string, SourceValue>[]>>;

export interface WrittenUnit {
  readonly runId: string;
  readonly manifestKey: string;
  readonly eTag: string;
}

export interface UnitOptions {
  /** Replace a table object's JSON text (to inject bad input). */
  readonly tamper?: Partial<Record<SourceTableName, (object: Record<string, unknown>) => unknown>>;
  /** List objects in the manifest that are never written. */
  readonly phantom?: readonly SourceTableName[];
  /** Rows per part (default: all in one part). */
  readonly partRows?: number;
}

export async function writeUnit(
  s3: S3Client,
  bucket: string,
  runId: string,
  tables: UnitTables,
  options: UnitOptions = {},
): Promise<WrittenUnit> {
  const objects: IngestionManifestObject[] = [];
  for (const [table, values] of Object.entries(tables) as [
    SourceTableName,
    Record<string, SourceValue>[],
  ][]) {
    const rows = values.map((v) => row(table, v));
    const size = options.partRows ?? Math.max(rows.length, 1);
    for (let start = 0, part = 1; start < rows.length || (start === 0 && part === 1); start += size, part++) {
      const slice = rows.slice(start, start + size);
      const key = ingestionTableKey(runId, table, part);
      let body: unknown = {
        format: INGESTION_TABLE_FORMAT,
        runId,
        table,
        part,
        columns: SOURCE_TABLES[table].columns.map((c) => ({ name: c.name, type: c.type })),
        rows: slice,
      };
      const tamper = options.tamper?.[table];
      if (tamper) body = tamper(body as Record<string, unknown>);
      if (!options.phantom?.includes(table)) {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: typeof body === 'string' ? body : JSON.stringify(body),
            ContentType: 'application/json',
          }),
        );
      }
      objects.push({ table, key, part, rows: slice.length });
      if (rows.length === 0) break;
    }
  }
  const manifest: IngestionManifest = {
    format: INGESTION_MANIFEST_FORMAT,
    runId,
    extractedAt: '2024-03-01 00:00:01.000',
    windows: {},
    changedRows: Object.fromEntries(Object.entries(tables).map(([t, v]) => [t, v?.length ?? 0])),
    objects,
  };
  const key = manifestKey(runId);
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(manifest),
      ContentType: 'application/json',
    }),
  );
  return { runId, manifestKey: key, eTag: (put.ETag ?? '').replace(/"/g, '') };
}
