import type { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../../shared/config/env.ts';
// The lake's modules directly, not its index: the index also re-exports the writer (and with it
// @aws-sdk/lib-storage), which the load never uses and its bundle would carry.
import { type ProcessedManifest, validateProcessedManifest } from '../../../shared/lake/manifests.ts';
import { readObject } from '../../../shared/lake/read.ts';
import { iterateParquet, parquetColumns } from '../../../shared/parquet/index.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import type { ProcessedUnit, Row } from './apply.ts';
import { BadUnitError } from './errors.ts';
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
  const { bytes: raw } = await readObject(s3, {
    bucket,
    key: manifestKey,
    what: 'processed manifest',
    maxBytes,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch (error) {
    throw new BadUnitError(`processed manifest s3://${bucket}/${manifestKey} is not JSON`, { cause: error });
  }
  const manifest = validateProcessedManifest(
    parsed,
    `processed manifest s3://${bucket}/${manifestKey}`,
    BadUnitError,
  );

  const files = await mapLimited(manifest.objects, options.downloads ?? 4, async (object) => {
    const where = `s3://${bucket}/${object.key}`;
    const { bytes: data } = await readObject(s3, {
      bucket,
      key: object.key,
      what: `${object.table} object named by ${manifestKey}:`,
      maxBytes,
    });
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
  async function* rowsOf(table: WarehouseTable): AsyncGenerator<readonly Row[]> {
    for (const { object, data } of files) {
      if (object.table !== table) continue;
      let seen = 0;
      for await (const slice of iterateParquet(data, batchRows ? { batchRows } : {})) {
        seen += slice.rows.length;
        yield slice.rows;
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
