/**
 * Writes one extract run's unit to the ingestion bucket: table objects (parts) first, the manifest
 * LAST. Only the manifest's notification starts downstream work, so a run that dies before it
 * leaves orphan objects nobody processes, never a half unit.
 *
 * Table objects go out through a bounded write window (shared/lake/write-window.ts): the run reads
 * the next page or table from the source while earlier parts are still being PUT (at most 4
 * objects, 16 MiB in flight). The manifest waits for every one of them and is not written if any
 * failed; its object list is in the order the parts were handed over, whatever order they land in.
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
  WriteWindow,
  type WriteWindowLimits,
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
  private readonly window: WriteWindow;

  constructor(
    s3: S3Client,
    bucket: string,
    runId: string,
    multipartThresholdBytes = MULTIPART_THRESHOLD_BYTES,
    writeWindow?: WriteWindowLimits,
  ) {
    this.s3 = s3;
    this.bucket = bucket;
    this.runId = runId;
    this.multipartThresholdBytes = multipartThresholdBytes;
    this.window = new WriteWindow(writeWindow);
  }

  get bytes(): number {
    return this.bytesWritten;
  }

  /**
   * Hands the next part of `table` (rows aligned with SOURCE_TABLES[table].columns) to the write
   * window: resolves once its PUT has started (it lands before the manifest is written). Throws
   * the failure of an earlier part's PUT.
   */
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
    const body = JSON.stringify(object);
    const bytes = Buffer.byteLength(body);
    await this.window.add(bytes, () =>
      putJsonObject(
        this.s3,
        this.bucket,
        key,
        body,
        { 'run-id': this.runId, table, part: String(part), rows: String(rows.length) },
        this.multipartThresholdBytes,
      ),
    );
    this.bytesWritten += bytes;
    this.objects.push({ table, key, part, rows: rows.length });
  }

  /** Waits for the parts still in flight, failed or not (a failed run leaves nothing running). */
  settle(): Promise<void> {
    return this.window.settle();
  }

  /**
   * Writes the manifest listing every part handed over so far, once every one of them is in S3.
   * Call last, once. A failed part's PUT throws here, and no manifest is written.
   */
  async writeManifest(fields: ManifestFields): Promise<{ key: string; manifest: IngestionManifest }> {
    await this.window.drain();
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
