/**
 * The units one extract run writes. A run's changed rows go into a unit until it holds
 * `maxUnitRows` of them; the unit is then closed (its join partners fetched from the same snapshot,
 * its manifest written LAST) and the next one opened. So every unit is self-contained (invariant
 * 7) and the memory of the stages after the extract is bounded by the unit, not by the source
 * (issue 18: a 4.8-million-row first load was one unit whose transform needed 4.5 GB).
 *
 * Unit run ids: the run's own id for the first, `<runId>-0002`, `<runId>-0003`, … for the next
 * ones, so every unit has its own prefix `units/YYYY/MM/DD/<unit run id>/` in both buckets.
 */
import type { IngestionManifest, SourceValue, WriteWindowLimits } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { PartnerTracker, primaryKeyIndex } from './join-partners.ts';
import type { SnapshotReader } from './source-reader.ts';
import { UnitWriter } from './unit-writer.ts';

export interface UnitSequenceOptions {
  readonly partSize: number;
  readonly maxUnitRows: number;
  readonly multipartThresholdBytes?: number | undefined;
  /** Table-object PUTs in flight at once (shared/lake/write-window.ts; default 4 objects, 16 MiB). */
  readonly writeWindow?: WriteWindowLimits | undefined;
  /** Called after each table object is handed to the write window (its PUT has started). */
  readonly afterObjectWritten?: ((key: string) => void | Promise<void>) | undefined;
}

export interface WrittenUnit {
  readonly runId: string;
  readonly key: string;
  readonly manifest: IngestionManifest;
  /** Changed rows in the unit. */
  readonly changedRows: number;
  /** All rows in the unit (changed plus join partners). */
  readonly rows: number;
}

/** The run id of the `index`-th (1-based) unit of run `runId`. */
export function unitRunId(runId: string, index: number): string {
  return index === 1 ? runId : `${runId}-${String(index).padStart(4, '0')}`;
}

export class UnitSequence {
  readonly units: WrittenUnit[] = [];
  /** Join partner rows added, per table, over all units. */
  readonly partners = new Map<SourceTableName, number>();
  private readonly s3: ConstructorParameters<typeof UnitWriter>[0];
  private readonly bucket: string;
  private readonly runId: string;
  private readonly reader: SnapshotReader;
  private readonly options: UnitSequenceOptions;
  private writer: UnitWriter;
  private tracker = new PartnerTracker();
  private changed = new Map<SourceTableName, number>();
  private changedInUnit = 0;
  private buffer: { table: SourceTableName; rows: SourceValue[][] } | null = null;
  /** Per table read by the run, the watermark it read from (every manifest's `windows`). */
  readonly windowFrom = new Map<SourceTableName, string | null>();

  constructor(
    s3: ConstructorParameters<typeof UnitWriter>[0],
    bucket: string,
    runId: string,
    reader: SnapshotReader,
    options: UnitSequenceOptions,
  ) {
    if (!Number.isSafeInteger(options.maxUnitRows) || options.maxUnitRows < 1) {
      throw new RangeError(`maxUnitRows must be a positive integer, got ${options.maxUnitRows}`);
    }
    this.s3 = s3;
    this.bucket = bucket;
    this.runId = runId;
    this.reader = reader;
    this.options = options;
    this.writer = this.newWriter();
  }

  /**
   * Adds a page of changed rows (each aligned with SOURCE_TABLES[table].columns) to the open unit,
   * writing a part when one fills and closing the unit when it is full. A page, not a row, per
   * call: an awaited call per row cost a promise each (about 20 ms per scale-1 extract, cold).
   */
  async addChanged(table: SourceTableName, rows: readonly SourceValue[][]): Promise<void> {
    for (const row of rows) {
      if (this.buffer && this.buffer.table !== table) await this.flush();
      this.buffer ??= { table, rows: [] };
      this.buffer.rows.push(row);
      this.changed.set(table, (this.changed.get(table) ?? 0) + 1);
      this.changedInUnit++;
      if (this.buffer.rows.length >= this.options.partSize) await this.flush();
      if (this.changedInUnit >= this.options.maxUnitRows) await this.close();
    }
  }

  /** Writes the table's last part (before the next table's cursor is opened). */
  async endTable(): Promise<void> {
    await this.flush();
  }

  /**
   * Closes the open unit, if it holds a changed row: its last part, its join partners (reverse
   * lookups for changed addresses and departments, then the forward closure), its manifest.
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.changedInUnit === 0) return;
    const { partSize } = this.options;
    const reader = this.reader;
    for (const lookup of this.tracker.reverseLookups()) {
      for (let i = 0; i < lookup.ids.length; i += partSize) {
        const ids = lookup.ids.slice(i, i + partSize);
        await this.addPartners(lookup.table, await reader.rowsWhereIn(lookup.table, lookup.column, ids));
      }
    }
    for (let missing = this.tracker.missing(); missing.size > 0; missing = this.tracker.missing()) {
      for (const [table, ids] of missing) {
        for (let i = 0; i < ids.length; i += partSize) {
          const chunk = ids.slice(i, i + partSize);
          const rows = await reader.rowsWhereIn(table, SOURCE_TABLES[table].primaryKey, chunk);
          if (rows.length !== chunk.length) {
            throw new Error(
              `${table}: ${chunk.length - rows.length} referenced row(s) missing in the source`,
            );
          }
          await this.addPartners(table, rows);
        }
      }
    }
    const windows: Partial<Record<SourceTableName, { from: string | null; to: string }>> = {};
    const changedRows: Partial<Record<SourceTableName, number>> = {};
    for (const [table, from] of this.windowFrom) windows[table] = { from, to: reader.now };
    for (const [table, count] of this.changed) changedRows[table] = count;
    const written = await this.writer.writeManifest({ extractedAt: reader.now, windows, changedRows });
    const rows = this.writer.objects.reduce((sum, o) => sum + o.rows, 0);
    this.units.push({ runId: this.writer.runId, ...written, changedRows: this.changedInUnit, rows });
    this.writer = this.newWriter();
    this.tracker = new PartnerTracker();
    this.changed = new Map();
    this.changedInUnit = 0;
  }

  /** Waits for the open unit's PUTs still in flight, failed or not (a failed run calls it). */
  settle(): Promise<void> {
    return this.writer.settle();
  }

  private newWriter(): UnitWriter {
    return new UnitWriter(
      this.s3,
      this.bucket,
      unitRunId(this.runId, this.units.length + 1),
      this.options.multipartThresholdBytes,
      this.options.writeWindow,
    );
  }

  private async flush(): Promise<void> {
    const buffer = this.buffer;
    this.buffer = null;
    if (!buffer || buffer.rows.length === 0) return;
    this.tracker.add(buffer.table, buffer.rows, 'changed');
    await this.write(buffer.table, buffer.rows);
  }

  private async addPartners(table: SourceTableName, rows: SourceValue[][]): Promise<void> {
    const pk = primaryKeyIndex(table);
    const fresh = rows.filter((r) => !this.tracker.has(table, r[pk] as number));
    this.tracker.add(table, fresh, 'partner');
    this.partners.set(table, (this.partners.get(table) ?? 0) + fresh.length);
    for (let i = 0; i < fresh.length; i += this.options.partSize)
      await this.write(table, fresh.slice(i, i + this.options.partSize));
  }

  private async write(table: SourceTableName, rows: SourceValue[][]): Promise<void> {
    await this.writer.writeTablePart(table, rows);
    const written = this.writer.objects[this.writer.objects.length - 1];
    if (written && this.options.afterObjectWritten) await this.options.afterObjectWritten(written.key);
  }
}
