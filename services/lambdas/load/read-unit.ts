import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_MAX_OBJECT_BYTES, ENV } from '../../../shared/config/env.ts';
import type { ProcessedManifest } from '../../../shared/lake/units.ts';
import { iterateParquet, parquetColumns } from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { type ProcessedUnit, type Row, validateProcessedManifest } from './apply.ts';
import { BadUnitError, MissingObjectError, ObjectTooLargeError } from './errors.ts';
import { LOAD_ORDER, LOAD_TABLES } from './tables.ts';

/**
 * Reads a processed unit from the processed bucket: the manifest (validated), then every Parquet
 * object it lists, checked against the load's column list and the manifest's row counts. The bytes
 * are fetched once; `open()` gives a fresh unit whose row iterables decode them from the start,
 * so a retried attempt stages every row again.
 */
export interface FetchedUnit {
  readonly manifest: ProcessedManifest;
  readonly bytes: number;
  open(): ProcessedUnit;
}

export interface ReadUnitOptions {
  /** Rows decoded per slice of a Parquet file (bounds memory). */
  readonly batchRows?: number;
  /** Objects downloaded at once. */
  readonly downloads?: number;
  /** Largest object read whole (bytes; default DEFAULT_MAX_OBJECT_BYTES, env MAX_OBJECT_BYTES). */
  readonly maxObjectBytes?: number;
}

function isNoSuchKey(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

async function getBytes(
  s3: S3Client,
  bucket: string,
  key: string,
  what: string,
  maxBytes: number = DEFAULT_MAX_OBJECT_BYTES,
): Promise<Uint8Array> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new MissingObjectError(`${what} s3://${bucket}/${key} has no body`);
    // The size guard: refuse before the body is buffered (the response headers carry the length).
    if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      (response.Body as { destroy?: () => void }).destroy?.();
      throw new ObjectTooLargeError(
        `${what} s3://${bucket}/${key} is ${response.ContentLength} bytes, above the memory budget of ${maxBytes} bytes (${ENV.maxObjectBytes}); it is not read`,
      );
    }
    return await response.Body.transformToByteArray();
  } catch (error) {
    if (isNoSuchKey(error))
      throw new MissingObjectError(`${what} s3://${bucket}/${key} does not exist`, { cause: error });
    throw error;
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function fetchProcessedUnit(
  s3: S3Client,
  bucket: string,
  manifestKey: string,
  options: ReadUnitOptions = {},
): Promise<FetchedUnit> {
  const maxBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const raw = await getBytes(s3, bucket, manifestKey, 'processed manifest', maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch (error) {
    throw new BadUnitError(`processed manifest s3://${bucket}/${manifestKey} is not JSON`, { cause: error });
  }
  const manifest = validateProcessedManifest(parsed, `processed manifest s3://${bucket}/${manifestKey}`);

  const files = await mapLimited(manifest.objects, options.downloads ?? 4, async (object) => {
    const where = `s3://${bucket}/${object.key}`;
    const data = await getBytes(
      s3,
      bucket,
      object.key,
      `${object.table} object named by ${manifestKey}:`,
      maxBytes,
    );
    let columns: string[];
    try {
      columns = parquetColumns(data).map((c) => c.name);
    } catch (error) {
      throw new BadUnitError(`${where} is not a readable Parquet file: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const expected = LOAD_TABLES[object.table].columns.map((c) => c.name);
    const missing = expected.filter((c) => !columns.includes(c));
    const unknown = columns.filter((c) => !expected.includes(c));
    if (missing.length > 0 || unknown.length > 0) {
      throw new BadUnitError(
        `${where} (${object.table}) columns differ from the warehouse:` +
          (missing.length ? ` missing ${missing.join(', ')}` : '') +
          (unknown.length ? ` unknown ${unknown.join(', ')}` : ''),
      );
    }
    return { object, data };
  });

  const batchRows = options.batchRows;
  async function* rowsOf(table: WarehouseTable): AsyncGenerator<Row> {
    for (const { object, data } of files) {
      if (object.table !== table) continue;
      let seen = 0;
      for await (const slice of iterateParquet(data, batchRows ? { batchRows } : {})) {
        seen += slice.rows.length;
        yield* slice.rows;
      }
      if (seen !== object.rows)
        throw new BadUnitError(
          `s3://${bucket}/${object.key} has ${seen} rows, the manifest lists ${object.rows}`,
        );
    }
  }

  const tablesInUnit = LOAD_ORDER.filter((table) => manifest.objects.some((o) => o.table === table));
  return {
    manifest,
    bytes: files.reduce((sum, f) => sum + f.data.byteLength, 0),
    open: () => ({
      manifest,
      tables: Object.fromEntries(tablesInUnit.map((table) => [table, rowsOf(table)])),
    }),
  };
}
