/**
 * Writes one extract run's unit to the ingestion bucket: table objects (parts) first, the manifest
 * LAST. Only the manifest's notification starts downstream work, so a run that dies before it
 * leaves orphan objects nobody processes, never a half unit.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  type IngestionTableObject,
  ingestionTableKey,
  MULTIPART_THRESHOLD_BYTES,
  manifestKey,
  type SourceValue,
  writeOnce,
} from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';

export interface PutResult {
  readonly key: string;
  readonly bytes: number;
}

/**
 * Puts one JSON document write-once (shared/lake/write.ts), with the run id in the object
 * metadata. An object already at the key with this run id is an earlier attempt's (the SDK retried
 * a PUT whose first try had landed): kept. Any other is S3's refusal, rethrown (run ids are unique).
 */
export async function putJsonObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  metadata: Record<string, string>,
  multipartThresholdBytes = MULTIPART_THRESHOLD_BYTES,
): Promise<PutResult> {
  const runId = metadata['run-id'];
  await writeOnce(
    s3,
    { bucket, key, body, contentType: 'application/json', metadata },
    {
      isOwn: (existing) => runId !== undefined && existing['run-id'] === runId,
      multipartThresholdBytes,
    },
  );
  return { key, bytes: Buffer.byteLength(body) };
}

export type ManifestFields = Omit<IngestionManifest, 'format' | 'runId' | 'objects'>;

export class UnitWriter {
  readonly objects: IngestionManifestObject[] = [];
  private readonly parts = new Map<SourceTableName, number>();
  private bytesWritten = 0;
  private readonly s3: S3Client;
  private readonly bucket: string;
  readonly runId: string;
  private readonly multipartThresholdBytes: number;

  constructor(
    s3: S3Client,
    bucket: string,
    runId: string,
    multipartThresholdBytes = MULTIPART_THRESHOLD_BYTES,
  ) {
    this.s3 = s3;
    this.bucket = bucket;
    this.runId = runId;
    this.multipartThresholdBytes = multipartThresholdBytes;
  }

  get bytes(): number {
    return this.bytesWritten;
  }

  /** Writes the next part of `table` (rows aligned with SOURCE_TABLES[table].columns). */
  async writeTablePart(table: SourceTableName, rows: ReadonlyArray<readonly SourceValue[]>): Promise<void> {
    if (rows.length === 0) return;
    const part = (this.parts.get(table) ?? 0) + 1;
    this.parts.set(table, part);
    const key = ingestionTableKey(this.runId, table, part);
    const object: IngestionTableObject = {
      format: INGESTION_TABLE_FORMAT,
      runId: this.runId,
      table,
      part,
      columns: SOURCE_TABLES[table].columns.map((c) => ({ name: c.name, type: c.type })),
      rows,
    };
    const result = await putJsonObject(
      this.s3,
      this.bucket,
      key,
      JSON.stringify(object),
      { 'run-id': this.runId, table, part: String(part), rows: String(rows.length) },
      this.multipartThresholdBytes,
    );
    this.bytesWritten += result.bytes;
    this.objects.push({ table, key, part, rows: rows.length });
  }

  /** Writes the manifest listing every part written so far. Call last, once. */
  async writeManifest(fields: ManifestFields): Promise<{ key: string; manifest: IngestionManifest }> {
    const manifest: IngestionManifest = {
      format: INGESTION_MANIFEST_FORMAT,
      runId: this.runId,
      ...fields,
      objects: [...this.objects],
    };
    const key = manifestKey(this.runId);
    const result = await putJsonObject(
      this.s3,
      this.bucket,
      key,
      JSON.stringify(manifest),
      { 'run-id': this.runId, objects: String(this.objects.length) },
      this.multipartThresholdBytes,
    );
    this.bytesWritten += result.bytes;
    return { key, manifest };
  }
}
