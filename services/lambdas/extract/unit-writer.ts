/**
 * Writes one extract run's unit to the ingestion bucket: table objects (parts) first, the manifest
 * LAST. Only the manifest's notification starts downstream work, so a run that dies before it
 * leaves orphan objects nobody processes, never a half unit.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  type IngestionTableObject,
  ingestionTableKey,
  manifestKey,
  type SourceValue,
} from '../../../shared/lake/units.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';

/** Single PUTs above this go through a multipart upload (fauxqs rejects one PUT over ~11 MiB). */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;

export interface PutResult {
  readonly key: string;
  readonly bytes: number;
}

/** Puts one JSON document, immutably keyed, with the run id in the object metadata. */
export async function putJsonObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  metadata: Record<string, string>,
  multipartThresholdBytes = MULTIPART_THRESHOLD_BYTES,
): Promise<PutResult> {
  const bytes = Buffer.byteLength(body);
  const params = {
    Bucket: bucket,
    Key: key,
    Body: body,
    ContentType: 'application/json',
    Metadata: metadata,
  };
  if (bytes > multipartThresholdBytes) {
    await new Upload({ client: s3, params, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
  } else {
    // IfNoneMatch: on AWS a second write of the same key fails instead of overwriting (the lake is
    // immutable). The local emulators ignore it; run ids are unique anyway.
    try {
      await s3.send(new PutObjectCommand({ ...params, IfNoneMatch: '*' }));
    } catch (error) {
      // The SDK retried a PUT whose first attempt had landed: the object is ours (same run id).
      if (!(await isOwnObject(s3, bucket, key, error, metadata))) throw error;
    }
  }
  return { key, bytes };
}

async function isOwnObject(
  s3: S3Client,
  bucket: string,
  key: string,
  error: unknown,
  metadata: Record<string, string>,
): Promise<boolean> {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if ((error as Error).name !== 'PreconditionFailed' && status !== 412) return false;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.Metadata?.['run-id'] !== undefined && head.Metadata['run-id'] === metadata['run-id'];
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
