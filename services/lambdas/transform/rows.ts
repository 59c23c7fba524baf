/**
 * Builds a warehouse table's lake rows by column name from its spec (shared/schema/warehouse/):
 * each column's value is fetched where the spec says it comes from (a source column by name, the
 * date or time part of a source timestamp, or a derived value the caller names) and checked where
 * the warehouse type is narrower than the source's (a varchar holding a date, an unbounded numeric
 * going into numeric(10,2), a nullable source column into a NOT NULL one). Positions are resolved
 * once per table, not per row; the row comes out in the lake's column order for the Parquet writer.
 *
 * Dates, times and timestamps taken from source columns leave here as the numbers the Parquet
 * writer stores (days since 1970, ms since midnight: shared/parquet/index.ts), read once from the
 * source text; a string here would be parsed a second time by the encoder. (No lake column copies
 * a source timestamp as it is; `source_version` is derived and stays text.)
 */
import type { SourceValue } from '../../../shared/lake/index.ts';
import type { ParquetRow, ParquetValue } from '../../../shared/parquet/index.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../../shared/schema/totesys.ts';
import { civilToDays, dateToDays, fitsDecimal } from '../../../shared/schema/value-kinds.ts';
import { type LakeColumn, lakeColumns, SOURCE_VERSION } from '../../../shared/schema/warehouse/lake.ts';
import type { TableSpec } from '../../../shared/schema/warehouse/spec.ts';
import { WrongValueTypeError } from './errors.ts';

/** A validated source row in its table's canonical column order (validate.ts). */
export type SourceRow = readonly SourceValue[];
/** The source rows a warehouse row is made from, by source table (the joined ones included). */
export type RowSources = Readonly<Partial<Record<SourceTableName, SourceRow>>>;
/** Values of the spec's derived columns (and `source_version`), by column name. */
export type DerivedValues = Readonly<Record<string, ParquetValue>>;

/**
 * Where a row comes from, for error messages: text, or a function that makes it. Rows pass a
 * function, so the text (part key, id, row number) is only built when a value is refused (building
 * it for every row was a measurable share of the transform's time and garbage).
 */
export type Where = string | (() => string);

export function placeOf(where: Where): string {
  return typeof where === 'string' ? where : where();
}

/** Days since 1970 of a 'YYYY-MM-DD' naming a real calendar day, or WrongValueTypeError. */
export function checkDate(value: string, where: Where, column?: string): number {
  const days = dateToDays(value);
  if (days !== undefined) return days;
  const place = column === undefined ? placeOf(where) : `${placeOf(where)}: ${column}`;
  throw new WrongValueTypeError(`${place}: ${JSON.stringify(value)} is not a calendar date 'YYYY-MM-DD'`);
}

const digit = (text: string, at: number) => text.charCodeAt(at) - 48;

/**
 * The day (days since 1970) of a timestamp validation has checked whole (validate.ts: a real day
 * and a valid time in exactly 'YYYY-MM-DD HH:MM:SS.mmm'): its digits are read without checking
 * them a second time. Only for validated source timestamps.
 */
export function validatedDays(timestamp: string): number {
  const year =
    digit(timestamp, 0) * 1000 + digit(timestamp, 1) * 100 + digit(timestamp, 2) * 10 + digit(timestamp, 3);
  return civilToDays(
    year,
    digit(timestamp, 5) * 10 + digit(timestamp, 6),
    digit(timestamp, 8) * 10 + digit(timestamp, 9),
  );
}

/** The time of day (ms since midnight) of a validated timestamp (as `validatedDays`). */
export function validatedTimeMillis(timestamp: string): number {
  const hours = digit(timestamp, 11) * 10 + digit(timestamp, 12);
  const minutes = digit(timestamp, 14) * 10 + digit(timestamp, 15);
  const seconds = digit(timestamp, 17) * 10 + digit(timestamp, 18);
  const millis = digit(timestamp, 20) * 100 + digit(timestamp, 21) * 10 + digit(timestamp, 22);
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

/** The index of `column` in `table`'s canonical source order; a spec naming no such column fails at load. */
export function sourceIndex(table: SourceTableName, column: string, where: string): number {
  const index = SOURCE_TABLES[table].columns.findIndex((c) => c.name === column);
  if (index < 0) throw new Error(`${where}: source table ${table} has no column ${column}`);
  return index;
}

type Fetch = (sources: RowSources, where: Where, derived: DerivedValues | undefined) => ParquetValue;

function fetcher(spec: TableSpec, column: LakeColumn): Fetch {
  const at = `${spec.name}.${column.name}`;
  const { source } = column;
  const sourceTable = (table: SourceTableName | undefined): SourceTableName => {
    const name = table ?? spec.source;
    if (!name) throw new Error(`${at}: no source table to take ${JSON.stringify(source)} from`);
    return name;
  };
  /** Column `index` of the `table` row among the sources (none there: a spec/caller mismatch). */
  const read =
    (table: SourceTableName, index: number): Fetch =>
    (sources, where) => {
      const row = sources[table];
      if (!row) throw new Error(`${placeOf(where)}: ${at} needs a ${table} row`);
      return row[index] as ParquetValue;
    };
  switch (source.kind) {
    case 'column': {
      const table = sourceTable(source.table);
      return read(table, sourceIndex(table, source.column, at));
    }
    case 'date-of':
    case 'time-of': {
      const table = sourceTable(undefined);
      const index = sourceIndex(table, source.column, at);
      // The source column is a timestamp, which validation (validate.ts) has checked whole: a
      // real day and a valid time of day in exactly 'YYYY-MM-DD HH:MM:SS.mmm'. Its parts are cut
      // out as they are, not checked a second time (that was two date and two time parses per
      // fact row, about 4% of the transform at scale 10).
      if (SOURCE_TABLES[table].columns[index]!.type !== 'timestamp')
        throw new Error(`${at}: ${table}.${source.column} is not a timestamp`);
      const timestamp = read(table, index);
      if (source.kind === 'date-of')
        return (sources, where) => validatedDays(timestamp(sources, where, undefined) as string);
      return (sources, where) => validatedTimeMillis(timestamp(sources, where, undefined) as string);
    }
    case 'derived':
      return (_sources, where, derived) => {
        const value = derived?.[column.name];
        if (value === undefined) throw new Error(`${placeOf(where)}: no value derived for ${at}`);
        return value;
      };
    case 'generated':
      throw new Error(`${at}: a generated column is not in the lake`);
  }
}

/** A column NOT NULL in the warehouse whose source column allows null: a null is refused. */
function refusesNull(spec: TableSpec, column: LakeColumn): boolean {
  const { source } = column;
  const sourceNullable =
    source.kind === 'column' &&
    SOURCE_TABLES[source.table ?? spec.source!].columns.find((c) => c.name === source.column)!.nullable;
  return !column.nullable && sourceNullable;
}

/** A null in a column NOT NULL in the warehouse (`refusesNull`). */
function nullRefused(where: Where, spec: TableSpec, column: LakeColumn): WrongValueTypeError {
  return new WrongValueTypeError(
    `${placeOf(where)}: ${column.name} is null, ${spec.name}.${column.name} is NOT NULL`,
  );
}

/** A decimal that a bounded numeric column would have to alter. */
function decimalRefused(
  where: Where,
  column: LakeColumn,
  value: string,
  precision: number,
  scale: number,
): WrongValueTypeError {
  return new WrongValueTypeError(
    `${placeOf(where)}: ${column.name}: ${value} does not fit numeric(${precision},${scale}) without being altered`,
  );
}

export interface RowBuilder {
  readonly spec: TableSpec;
  readonly columns: readonly LakeColumn[];
  /** Positions of the row's dim_date keys (every date a fact references joins dim_date). */
  readonly dateKeys: readonly number[];
  /** The position of `source_version` in the built rows (-1: the table has none). */
  readonly versionPosition: number;
  /** The position of a column in the built rows (a typed accessor for code that reads rows). */
  position(column: string): number;
  build(sources: RowSources, where: Where, derived?: DerivedValues): ParquetRow;
  /**
   * `build` for a row made from one row of the spec's own source table, with `version` as its
   * `source_version` (dimensions): no sources or derived object per row. A column the spec takes
   * from another table or derives otherwise fails as `build` words it.
   */
  buildRow(row: SourceRow, where: Where, version?: string): ParquetRow;
}

/** How `build` fills a column: read and checked inline (no call), or through its fetch. */
const Step = {
  /** A source column copied as it is (no check applies): `row[index]`. */
  Copy: 0,
  /** The day (days since 1970) of a validated source timestamp. */
  DateOf: 1,
  /** The time of day (ms since midnight) of a validated source timestamp. */
  TimeOf: 2,
  /** A varchar source column holding a date: checked, as days since 1970 (`checkDate`). */
  Date: 3,
  /** A decimal source column going into a bounded numeric: checked (`fitsDecimal`), kept as text. */
  Decimal: 4,
  /** `source_version`: the version the caller gives. */
  Version: 5,
  /** Anything else (a derived value, a spec/caller mismatch): the column's fetch function. */
  Fetch: 6,
} as const;
type Step = (typeof Step)[keyof typeof Step];

interface ColumnStep {
  readonly step: Step;
  /** The source table read inline (undefined for Step.Fetch and Step.Version). */
  readonly table: SourceTableName | undefined;
  readonly index: number;
  /** A null the column refuses (NOT NULL in the warehouse, nullable in the source). */
  readonly notNull: boolean;
  readonly precision: number;
  readonly scale: number;
  readonly fetch: Fetch;
}

/**
 * The step of one column. Copies, checks and timestamp cuts, every column of a fact row, are done
 * inline by `build`: a call through a per-column closure for each of them was a megamorphic call
 * per value (one call site for every column of every table), a measurable share of the
 * derivation. The checks are those of the column's warehouse type where it is narrower than the
 * source's (a varchar date, a bounded numeric, NOT NULL over a nullable source column).
 */
function columnStep(spec: TableSpec, column: LakeColumn): ColumnStep {
  const fetch = fetcher(spec, column);
  const { source, type } = column;
  const general = {
    step: Step.Fetch,
    table: undefined,
    index: -1,
    notNull: false,
    precision: 0,
    scale: 0,
    fetch,
  };
  if (source.kind === 'derived')
    return column.name === SOURCE_VERSION ? { ...general, step: Step.Version } : general;
  if (source.kind !== 'column' && source.kind !== 'date-of' && source.kind !== 'time-of') return general;
  const table = (source.kind === 'column' ? source.table : undefined) ?? spec.source!;
  const index = sourceIndex(table, source.column, `${spec.name}.${column.name}`);
  const inline = { ...general, table, index, notNull: refusesNull(spec, column) };
  if (source.kind === 'date-of') return { ...inline, step: Step.DateOf };
  if (source.kind === 'time-of') return { ...inline, step: Step.TimeOf };
  if (type.kind === 'date') return { ...inline, step: Step.Date };
  if (type.sql === 'numeric' && type.precision !== undefined)
    return { ...inline, step: Step.Decimal, precision: type.precision, scale: type.scale ?? 0 };
  return { ...inline, step: Step.Copy };
}

export function rowBuilder(spec: TableSpec): RowBuilder {
  const columns = lakeColumns(spec);
  const steps = columns.map((column) => columnStep(spec, column));
  // The steps as parallel arrays: `fill` reads them per value, with no object per column.
  const kinds = Int8Array.from(steps, (s) => s.step);
  const indexes = Int32Array.from(steps, (s) => s.index);
  const notNulls = Uint8Array.from(steps, (s) => (s.notNull ? 1 : 0));
  const precisions = Int32Array.from(steps, (s) => s.precision);
  const scales = Int32Array.from(steps, (s) => s.scale);
  const tables = steps.map((s) => s.table);
  const fetches = steps.map((s) => s.fetch);
  const count = steps.length;
  const own = spec.source;
  const datesReferenced = new Set(
    spec.columns.filter((c) => c.references?.table === 'dim_date').map((c) => c.name),
  );
  const dateKeys = columns.flatMap((c, i) => (datesReferenced.has(c.name) ? [i] : []));
  const position = (name: string) => {
    const index = columns.findIndex((c) => c.name === name);
    if (index < 0) throw new Error(`${spec.name} has no lake column ${name}`);
    return index;
  };
  /**
   * The sources `buildRow` hands a column's fetch (refilled per row; `fetch` keeps none), only
   * when the table has such a column (a keyed store per row otherwise, for nothing).
   */
  const own1: Partial<Record<SourceTableName, SourceRow>> = {};
  const fetchesSources = steps.some((s) => s.step === Step.Fetch);

  /**
   * One built row. `row` is the spec's own source row (`sources[spec.source]`), read inline;
   * `sources` holds the joined ones and is read only for their columns and by a fetch.
   */
  function fill(
    row: SourceRow | undefined,
    sources: RowSources,
    where: Where,
    derived: DerivedValues | undefined,
    version: string | undefined,
  ): ParquetRow {
    const out: ParquetValue[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const kind = kinds[i]!;
      if (kind === Step.Version) {
        out[i] = version === undefined ? fetches[i]!(sources, where, derived) : version;
        continue;
      }
      if (kind === Step.Fetch) {
        out[i] = fetches[i]!(sources, where, derived);
        continue;
      }
      const table = tables[i]!;
      const source = table === own ? row : sources[table];
      // As the column fetch words it (a spec/caller mismatch, not bad data).
      if (!source) return fetches[i]!(sources, where, derived) as never;
      const value = source[indexes[i]!] as ParquetValue;
      switch (kind) {
        case Step.Copy:
          out[i] = value;
          break;
        case Step.DateOf:
          out[i] = validatedDays(value as string);
          continue;
        case Step.TimeOf:
          out[i] = validatedTimeMillis(value as string);
          continue;
        case Step.Date:
          out[i] = value === null ? null : checkDate(value as string, where, columns[i]!.name);
          break;
        default:
          if (value !== null && !fitsDecimal(value as string, precisions[i]!, scales[i]!)) {
            throw decimalRefused(where, columns[i]!, value as string, precisions[i]!, scales[i]!);
          }
          out[i] = value;
      }
      if (value === null && notNulls[i] === 1) throw nullRefused(where, spec, columns[i]!);
    }
    return out;
  }

  return {
    spec,
    columns,
    dateKeys,
    versionPosition: columns.findIndex((c) => c.name === SOURCE_VERSION),
    position,
    build(sources, where, derived) {
      const version = derived?.[SOURCE_VERSION];
      return fill(
        own === undefined ? undefined : sources[own],
        sources,
        where,
        derived,
        typeof version === 'string' ? version : undefined,
      );
    },
    buildRow(row, where, version) {
      if (own === undefined) throw new Error(`${spec.name} has no source table to build a row from`);
      if (fetchesSources) own1[own] = row;
      return fill(row, own1, where, undefined, version);
    },
  };
}
