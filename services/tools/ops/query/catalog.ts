import { readFile } from 'node:fs/promises';
import { MANIFEST_SUFFIX } from '../../../../shared/config/resources.ts';
import { INGESTION_MANIFEST_FORMAT, PROCESSED_MANIFEST_FORMAT } from '../../../../shared/lake/index.ts';
import { isSourceTableName, type SourceTableName } from '../../../../shared/schema/totesys.ts';
import { WAREHOUSE_TABLES, type WarehouseTable } from '../../../../shared/schema/warehouse.ts';
import type { LakeFiles } from './lake-files.ts';

/**
 * What the lake holds, read from its manifests: a manifest is written last, so only objects of
 * finished units are listed (an interrupted attempt's parts stay out of every view), and objects
 * shared by the part manifests of a split unit are listed once.
 */
export interface LakeCatalog {
  /** Warehouse table → processed object keys (Parquet). */
  readonly processed: ReadonlyMap<WarehouseTable, readonly string[]>;
  /** Source table → ingestion object keys (JSON). */
  readonly ingestion: ReadonlyMap<SourceTableName, readonly string[]>;
  readonly manifests: { readonly processed: number; readonly ingestion: number };
}

interface ManifestLike {
  readonly format?: unknown;
  /** Processed manifests: the load unit; every generation of a unit carries the same one. */
  readonly unitId?: unknown;
  readonly generation?: unknown;
  readonly objects?: ReadonlyArray<{ readonly table?: unknown; readonly key?: unknown }>;
}

export class LakeManifestError extends Error {
  override readonly name = 'LakeManifestError';
}

async function readManifests(
  files: LakeFiles,
  bucket: string,
  format: string,
): Promise<{ count: number; byTable: Map<string, Set<string>> }> {
  const byTable = new Map<string, Set<string>>();
  /**
   * A replayed unit (`totes replay`) has several generations in the lake; like the warehouse, a
   * view shows only the newest one's objects (a manifest without unitId stands alone).
   */
  const newest = new Map<string, { generation: number; manifest: ManifestLike; key: string }>();
  let count = 0;
  for await (const key of files.listKeys(bucket, 'units/')) {
    if (!key.endsWith(`/${MANIFEST_SUFFIX}`)) continue;
    const text = await readFile(await files.localPath(bucket, key), 'utf8');
    let manifest: ManifestLike;
    try {
      manifest = JSON.parse(text) as ManifestLike;
    } catch {
      throw new LakeManifestError(`s3://${bucket}/${key}: not JSON`);
    }
    if (manifest.format !== format || !Array.isArray(manifest.objects)) {
      throw new LakeManifestError(`s3://${bucket}/${key}: not a ${format} manifest`);
    }
    count++;
    const unit = typeof manifest.unitId === 'string' ? manifest.unitId : key;
    const generation = typeof manifest.generation === 'number' ? manifest.generation : 1;
    const known = newest.get(unit);
    if (!known || known.generation < generation) newest.set(unit, { generation, manifest, key });
  }
  for (const { manifest, key } of newest.values()) {
    for (const object of manifest.objects ?? []) {
      if (typeof object.table !== 'string' || typeof object.key !== 'string') {
        throw new LakeManifestError(`s3://${bucket}/${key}: an object without table or key`);
      }
      const keys = byTable.get(object.table) ?? new Set<string>();
      byTable.set(object.table, keys.add(object.key));
    }
  }
  return { count, byTable };
}

export async function readLakeCatalog(
  files: LakeFiles,
  buckets: { readonly ingestion: string; readonly processed: string },
): Promise<LakeCatalog> {
  const processed = await readManifests(files, buckets.processed, PROCESSED_MANIFEST_FORMAT);
  const ingestion = await readManifests(files, buckets.ingestion, INGESTION_MANIFEST_FORMAT);
  const sorted = (keys: Set<string> | undefined) => [...(keys ?? [])].sort();
  return {
    processed: new Map(WAREHOUSE_TABLES.map((t) => [t, sorted(processed.byTable.get(t))])),
    ingestion: new Map(
      [...ingestion.byTable.keys()]
        .filter(isSourceTableName)
        .map((t) => [t, sorted(ingestion.byTable.get(t))] as const),
    ),
    manifests: { processed: processed.count, ingestion: ingestion.count },
  };
}
