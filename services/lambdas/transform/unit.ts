/**
 * One ingestion unit → one processed unit, with S3 on both sides.
 *
 * 1. The notified key must be an ingestion manifest; it is read and validated.
 * 2. If the processed manifest for this run already exists, the work is done: nothing is written.
 * 3. Every table object the manifest lists is read, validated and transformed, one part at a time.
 *    Fact parts become Parquet files and go to S3 as they stream through (under the same
 *    `units/YYYY/MM/DD/<runId>/` prefix in the processed bucket), so memory holds one part's JSON
 *    and one file, plus the unit's dimension rows (bounded by the extract's unit size), never the
 *    unit's Parquet.
 * 4. The dimension files once the whole unit transformed cleanly, then LAST the processed
 *    manifest(s). Bad input writes no manifest: files written before it are listed nowhere, and
 *    nothing downstream reads them (the load and `totes query` start from manifests).
 *    A ROW that cannot be carried (held.ts) is not bad input for the unit: it is left out of the
 *    Parquet and listed, whole and with its reason, in the manifest's `held` (the load records it
 *    in pipeline.quarantine); more than `maxHeldRows` of them fail the unit as before.
 *
 * The lake is immutable (shared/lake/write.ts): every write, single PUT or multipart, sends
 * `If-None-Match: *`, so S3 itself refuses an existing key (a large object's key is also checked
 * before its upload, so a retry does not upload it twice). An object
 * already there from an earlier attempt on the same source (same source eTag in its metadata) is
 * kept as it is — the transform is deterministic — and one from any other source is a
 * LakeConflictError.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../../shared/config/env.ts';
import {
  DEFAULT_WRITE_WINDOW,
  generationOf,
  type IngestionManifest,
  isManifestKey,
  LakeConflictError,
  MULTIPART_THRESHOLD_BYTES,
  manifestKey,
  metadataValue,
  PROCESSED_MANIFEST_FORMAT,
  type ProcessedManifest,
  type ProcessedManifestObject,
  processedObjectKey,
  processedPartManifestKey,
  readMetadata,
  readText,
  WriteWindow,
  writeOnce,
} from '../../../shared/lake/index.ts';
import { type ParquetRow, writeParquet } from '../../../shared/parquet/index.ts';
import type { S3ObjectRef } from '../../../shared/s3-events/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import type { WarehouseTable } from '../../../shared/schema/warehouse.ts';
import { derivationFault, derivationRefusal, withDerivationFault } from './derivation-fault.ts';
import { UnitTransformer } from './derive.ts';
import { NotAManifestError } from './errors.ts';
import { HeldRows, heldRow, namedRow } from './held.ts';
import { PARQUET_SCHEMAS } from './parquet-schemas.ts';
import { TransactionGroups } from './transaction-groups.ts';
import { parseJson, validateManifest, validateTableObject } from './validate.ts';

export interface TransformUnitOptions {
  readonly s3: S3Client;
  readonly processedBucket: string;
  /** Rows per Parquet row group (default 20,000). */
  readonly rowGroupSize?: number;
  /** Rows per dimension file (default 50,000); fact files follow the source parts. */
  readonly maxRowsPerFile?: number;
  /** Largest ingestion object read whole (bytes; default DEFAULT_MAX_OBJECT_BYTES, env MAX_OBJECT_BYTES). */
  readonly maxObjectBytes?: number;
  /**
   * A unit whose fact rows (as the ingestion manifest counts them) exceed this is split into
   * several processed manifests, `<prefix>part-NNNN/manifest.json`, each its own load unit: a
   * share of the fact objects (whole source parts, in manifest order), the dim_transaction rows its
   * payments reference, and every other dimension object (shared; re-applying a dimension is a
   * no-op under newest-wins). Each loads alone, atomically, in any order. Default 100,000.
   */
  readonly maxFactRowsPerManifest?: number;
  /** Rows of the unit that may be held back before the unit fails whole (held.ts). */
  readonly maxHeldRows?: number;
}

export const DEFAULT_MAX_FACT_ROWS_PER_MANIFEST = 100_000;

export interface TransformUnitResult {
  readonly unitId: string;
  readonly runId: string;
  /** True when the processed manifest already existed and nothing was written. */
  readonly alreadyProcessed: boolean;
  readonly rows: Partial<Record<WarehouseTable, number>>;
  readonly objects: number;
  readonly newestSourceUpdate: string | null;
  /** Processed manifests written (more than one when the unit was split). */
  readonly manifests?: number;
  /** Source rows held back (listed in the manifest's `held`). */
  readonly held?: number;
}

interface WrittenObject {
  readonly table: WarehouseTable;
  readonly key: string;
  readonly rows: number;
  /** Which processed manifest lists it when the unit is split (0: every one). */
  readonly group: number;
}

const FACT_SOURCES: ReadonlySet<string> = new Set(['sales_order', 'purchase_order', 'payment']);

/**
 * Groups the unit's fact table objects, in manifest order, into groups of at most `maxFactRows`
 * rows (a single larger object forms its own group). Decided from the ingestion manifest alone, so
 * a re-run splits identically and knows its last manifest before transforming anything.
 */
export function planFactGroups(
  objects: readonly { readonly table: string; readonly key: string; readonly rows: number }[],
  maxFactRows: number,
): { readonly groups: number; readonly groupOf: ReadonlyMap<string, number> } {
  const groupOf = new Map<string, number>();
  let group = 1;
  let inGroup = 0;
  for (const object of objects) {
    if (!FACT_SOURCES.has(object.table)) continue;
    if (inGroup > 0 && inGroup + object.rows > maxFactRows) {
      group++;
      inGroup = 0;
    }
    groupOf.set(object.key, group);
    inGroup += object.rows;
  }
  return { groups: groupOf.size === 0 ? 1 : group, groupOf };
}

interface SourceIdentity {
  readonly bucket: string;
  readonly key: string;
  readonly eTag: string;
}

function sourceMetadata(source: SourceIdentity, runId: string): Record<string, string> {
  return {
    'source-bucket': metadataValue(source.bucket),
    'source-key': metadataValue(source.key),
    'source-etag': metadataValue(source.eTag),
    'run-id': metadataValue(runId),
  };
}

/** Writes `body` at `key` unless it exists; an existing object must come from the same source. */
function putImmutable(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
  contentType: string,
  source: SourceIdentity,
  runId: string,
): Promise<'written' | 'existed'> {
  const sameSource = (metadata: Record<string, string>) =>
    [source.key, metadataValue(source.key)].includes(metadata['source-key'] ?? '') &&
    [source.eTag, metadataValue(source.eTag)].includes(metadata['source-etag'] ?? '');
  return writeOnce(
    s3,
    { bucket, key, body, contentType, metadata: sourceMetadata(source, runId) },
    {
      isOwn: sameSource,
      conflict: (metadata) =>
        new LakeConflictError(
          `s3://${bucket}/${key} already exists from ${metadata['source-key'] ?? '?'} (eTag ${metadata['source-etag'] ?? '?'}), not from ${source.key} (eTag ${source.eTag}); the lake is never overwritten`,
        ),
      // S3 (and the local stand-in) refuse an existing key by If-None-Match, so a small object
      // is not looked up first: that was one more round trip per file on every unit. A large one
      // is, so a retry does not upload again what an earlier attempt already wrote.
      checkFirst: body.byteLength > MULTIPART_THRESHOLD_BYTES,
    },
  );
}

function chunk<T>(rows: readonly T[], size: number): (readonly T[])[] {
  // Most parts fit one file: passed on as they are, not copied.
  if (rows.length <= size) return rows.length > 0 ? [rows] : [];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Transforms the unit whose ingestion manifest `ref` names. Returns a small summary (it is stored
 * as the idempotency record's result).
 */
export async function transformUnit(
  ref: S3ObjectRef,
  options: TransformUnitOptions,
  onTable?: (table: WarehouseTable, rows: number) => void,
): Promise<TransformUnitResult> {
  const { s3, processedBucket } = options;
  const rowGroupSize = options.rowGroupSize ?? 20_000;
  const maxRowsPerFile = options.maxRowsPerFile ?? 50_000;
  const maxBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  if (!isManifestKey(ref.key)) {
    throw new NotAManifestError(
      `s3://${ref.bucket}/${ref.key} is not an ingestion manifest (…/manifest.json)`,
    );
  }
  const { text, eTag } = await readText(s3, {
    bucket: ref.bucket,
    key: ref.key,
    what: 'ingestion manifest',
    maxBytes,
  });
  const manifest: IngestionManifest = validateManifest(parseJson(text, `manifest ${ref.key}`), ref.key);
  const runId = manifest.runId;
  // A replay (generation >= 2) writes into its own generation folder, never over an earlier
  // generation's objects, and names the same load unit (unitId) so the load replaces it.
  const generation = generationOf(manifest);
  const source: SourceIdentity = {
    bucket: ref.bucket,
    key: ref.key,
    eTag: eTag ?? ref.eTag ?? ref.sequencer ?? '',
  };
  const unitId = manifestKey(runId);
  const plan = planFactGroups(
    manifest.objects,
    options.maxFactRowsPerManifest ?? DEFAULT_MAX_FACT_ROWS_PER_MANIFEST,
  );
  const split = plan.groups > 1;
  // The last manifest written marks the unit done.
  const doneKey = split
    ? processedPartManifestKey(runId, plan.groups, generation)
    : manifestKey(runId, generation);

  if (await readMetadata(s3, processedBucket, doneKey)) {
    return { unitId, runId, alreadyProcessed: true, rows: {}, objects: 0, newestSourceUpdate: null };
  }

  // Rows that cannot be carried, each with the manifest group it belongs to (0: every group).
  const held = new HeldRows(options.maxHeldRows);
  const heldGroups: number[] = [];
  const hold = (
    table: SourceTableName,
    row: Readonly<Record<string, unknown>>,
    object: string,
    error: Error,
  ) => {
    const entry = heldRow(table, object, row, error);
    held.add(entry, error);
    heldGroups.push(split && FACT_SOURCES.has(table) ? (plan.groupOf.get(object) ?? 1) : 0);
    if (entry.id !== null) transformer.noteHeld(table, entry.id);
  };
  const transformer = new UnitTransformer((table, row, object, error) =>
    hold(table, namedRow(table, row), object, error),
  );
  const refusal = derivationRefusal();
  /** Split units: transaction id → the first group whose payments reference it. */
  const transactionGroups = new TransactionGroups();
  const column = (table: WarehouseTable, name: string) =>
    PARQUET_SCHEMAS[table].columns.findIndex((c) => c.name === name);
  const paymentTransaction = column('fact_payment', 'transaction_id');
  const dimTransactionId = column('dim_transaction', 'transaction_id');
  const written: WrittenObject[] = [];
  const rows: Partial<Record<WarehouseTable, number>> = {};
  const parts = new Map<WarehouseTable, number>();
  const fault = derivationFault();
  // Each file goes to S3 as soon as it is encoded, through a bounded write window (at most 4 files,
  // 16 MiB in flight: shared/lake/write-window.ts) while the next part is read and encoded: memory
  // holds one part's rows and a bounded number of files, never the unit's Parquet (issue 18).
  // Every PUT is settled before any manifest; files written before a failure are listed by none.
  const puts = new WriteWindow(DEFAULT_WRITE_WINDOW);
  const encode = async (table: WarehouseTable, tableRows: readonly ParquetRow[], group = 0) => {
    for (const slice of chunk(withDerivationFault(fault, table, tableRows), maxRowsPerFile)) {
      const part = (parts.get(table) ?? 0) + 1;
      parts.set(table, part);
      const key = processedObjectKey(runId, table, part, generation);
      const { buffer } = writeParquet(PARQUET_SCHEMAS[table], slice, {
        rowGroupSize,
        kvMetadata: { 'totes.run-id': runId, 'totes.source-key': ref.key },
      });
      // Throws the failure of an earlier file's PUT.
      await puts.add(buffer.byteLength, () =>
        putImmutable(s3, processedBucket, key, buffer, 'application/vnd.apache.parquet', source, runId),
      );
      written.push({ table, key, rows: slice.length, group });
      rows[table] = (rows[table] ?? 0) + slice.length;
    }
  };

  const read = (index: number) => {
    const entry = manifest.objects[index];
    if (!entry) return undefined;
    const reading = readText(s3, {
      bucket: ref.bucket,
      key: entry.key,
      what: `table object listed by ${ref.key}:`,
      maxBytes,
    });
    reading.catch(() => undefined); // awaited (and thrown) in turn below; never unhandled
    return reading;
  };
  // The next table object is read while this one is transformed (memory: one more part's text).
  let next = read(0);
  try {
    for (const [index, entry] of manifest.objects.entries()) {
      const object = (await next)!;
      next = read(index + 1);
      let validated = validateTableObject(
        parseJson(object.text, `table object ${entry.key}`),
        entry,
        runId,
        (row, error) => hold(entry.table, row, entry.key, error),
      );
      if (refusal) {
        const pk = SOURCE_TABLES[validated.table].columns.findIndex(
          (c) => c.name === SOURCE_TABLES[validated.table].primaryKey,
        );
        validated = {
          ...validated,
          rows: validated.rows.filter((row) => {
            const refused = refusal(validated.table, row[pk], entry.key);
            if (refused) hold(validated.table, namedRow(validated.table, row), entry.key, refused);
            return !refused;
          }),
        };
      }
      const facts = transformer.addTable(validated);
      if (facts && facts.rows.length > 0) {
        const group = split ? (plan.groupOf.get(entry.key) ?? 1) : 0;
        if (split && facts.table === 'fact_payment') {
          for (const row of facts.rows) {
            const id = row[paymentTransaction] as number;
            transactionGroups.add(id, group);
          }
        }
        await encode(facts.table, facts.rows, group);
      }
    }
    const dimensions = transformer.dimensionOutputs();
    // Dimensions (dim_date first) are listed before the facts that reference them.
    const factObjects = written.splice(0, written.length);
    for (const { table, rows: dimensionRows } of dimensions) {
      if (!split || table !== 'dim_transaction') {
        await encode(table, dimensionRows);
        continue;
      }
      // Each dim_transaction row travels with the payments that reference it (unreferenced: group 1).
      const byGroup = new Map<number, ParquetRow[]>();
      for (const row of dimensionRows) {
        const group = transactionGroups.groupOf(row[dimTransactionId] as number) ?? 1;
        const rowsOfGroup = byGroup.get(group);
        if (rowsOfGroup) rowsOfGroup.push(row);
        else byGroup.set(group, [row]);
      }
      for (const group of [...byGroup.keys()].sort((a, b) => a - b))
        await encode(table, byGroup.get(group) ?? [], group);
    }
    written.push(...factObjects);
    await puts.drain(); // every file is in S3 before a manifest names it
  } catch (error) {
    // A failed unit leaves nothing running behind it: the read and the PUTs in flight settle first.
    await Promise.allSettled([puts.settle(), next]);
    throw error;
  }

  // One manifest, or (split) one per group in order: the last one written marks the unit done.
  for (let group = 1; group <= plan.groups; group++) {
    const key = split ? processedPartManifestKey(runId, group, generation) : manifestKey(runId, generation);
    const objects: ProcessedManifestObject[] = written
      .filter((o) => o.group === 0 || o.group === group)
      .map((o) => ({ table: o.table, key: o.key, rows: o.rows }));
    const heldHere = held.rows.filter((_, i) => heldGroups[i] === 0 || heldGroups[i] === group);
    const processed: ProcessedManifest = {
      format: PROCESSED_MANIFEST_FORMAT,
      // The same load unit whatever the generation: the first generation's manifest key.
      unitId: split ? processedPartManifestKey(runId, group) : unitId,
      runId,
      ...(generation > 1 ? { generation } : {}),
      source: { bucket: source.bucket, key: source.key, eTag: source.eTag },
      newestSourceUpdate: transformer.newestSourceUpdate,
      objects,
      ...(heldHere.length > 0 ? { held: heldHere } : {}),
    };
    await putImmutable(
      s3,
      processedBucket,
      key,
      new TextEncoder().encode(JSON.stringify(processed, null, 2)),
      'application/json',
      source,
      runId,
    );
  }
  for (const [table, count] of Object.entries(rows)) onTable?.(table as WarehouseTable, count);
  return {
    unitId,
    runId,
    alreadyProcessed: false,
    rows,
    objects: written.length,
    newestSourceUpdate: transformer.newestSourceUpdate,
    manifests: plan.groups,
    held: held.rows.length,
  };
}
