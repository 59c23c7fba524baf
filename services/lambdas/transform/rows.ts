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
import { type LakeColumn, lakeColumns } from '../../../shared/schema/warehouse/lake.ts';
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
function validatedDays(timestamp: string): number {
  const year =
    digit(timestamp, 0) * 1000 + digit(timestamp, 1) * 100 + digit(timestamp, 2) * 10 + digit(timestamp, 3);
  return civilToDays(
    year,
    digit(timestamp, 5) * 10 + digit(timestamp, 6),
    digit(timestamp, 8) * 10 + digit(timestamp, 9),
  );
}

/** The time of day (ms since midnight) of a validated timestamp (as `validatedDays`). */
function validatedTimeMillis(timestamp: string): number {
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
  switch (source.kind) {
    case 'column': {
      const table = sourceTable(source.table);
      const index = sourceIndex(table, source.column, at);
      return (sources, where) => {
        const row = sources[table];
        if (!row) throw new Error(`${placeOf(where)}: ${at} needs a ${table} row`);
        return row[index] as ParquetValue;
      };
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
      if (source.kind === 'date-of') return (sources) => validatedDays(sources[table]![index] as string);
      return (sources) => validatedTimeMillis(sources[table]![index] as string);
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

/** Adds the checks a column needs where its warehouse type is narrower than the source's. */
function checked(spec: TableSpec, column: LakeColumn, fetch: Fetch): Fetch {
  const inner = withKindCheck(column, fetch);
  const { source } = column;
  const sourceNullable =
    source.kind === 'column' &&
    SOURCE_TABLES[source.table ?? spec.source!].columns.find((c) => c.name === source.column)!.nullable;
  if (column.nullable || !sourceNullable) return inner;
  return (sources, where, derived) => {
    const value = inner(sources, where, derived);
    if (value === null)
      throw new WrongValueTypeError(
        `${placeOf(where)}: ${column.name} is null, ${spec.name}.${column.name} is NOT NULL`,
      );
    return value;
  };
}

function withKindCheck(column: LakeColumn, fetch: Fetch): Fetch {
  const { type, source } = column;
  if (source.kind !== 'column') return fetch;
  if (type.kind === 'date') {
    return (sources, where, derived) => {
      const value = fetch(sources, where, derived);
      return value === null ? null : checkDate(value as string, where, column.name);
    };
  }
  if (type.sql === 'numeric' && type.precision !== undefined) {
    const { precision, scale = 0 } = type;
    return (sources, where, derived) => {
      const value = fetch(sources, where, derived);
      if (value !== null && !fitsDecimal(value as string, precision, scale)) {
        throw new WrongValueTypeError(
          `${placeOf(where)}: ${column.name}: ${value} does not fit numeric(${precision},${scale}) without being altered`,
        );
      }
      return value;
    };
  }
  return fetch;
}

export interface RowBuilder {
  readonly spec: TableSpec;
  readonly columns: readonly LakeColumn[];
  /** Positions of the row's dim_date keys (every date a fact references joins dim_date). */
  readonly dateKeys: readonly number[];
  /** The position of a column in the built rows (a typed accessor for code that reads rows). */
  position(column: string): number;
  build(sources: RowSources, where: Where, derived?: DerivedValues): ParquetRow;
}

/** How `build` fills a column: read inline (no call) or through its checked fetch. */
const Step = {
  /** A source column copied as it is (no check applies): `row[index]`. */
  Copy: 0,
  /** The day (days since 1970) of a validated source timestamp. */
  DateOf: 1,
  /** The time of day (ms since midnight) of a validated source timestamp. */
  TimeOf: 2,
  /** Anything else (a check, a derived value): the column's fetch function. */
  Fetch: 3,
} as const;
type Step = (typeof Step)[keyof typeof Step];

interface ColumnStep {
  readonly step: Step;
  /** The source table read inline (undefined for Step.Fetch). */
  readonly table: SourceTableName | undefined;
  readonly index: number;
  readonly fetch: Fetch;
}

/**
 * The step of one column. Copies and timestamp cuts, most of a fact row's columns, are done inline
 * by `build`: a call through a per-column closure for each of them was a megamorphic call per value
 * (one call site for every column of every table), a measurable share of the derivation.
 */
function columnStep(spec: TableSpec, column: LakeColumn): ColumnStep {
  const plain = fetcher(spec, column);
  const fetch = checked(spec, column, plain);
  const { source } = column;
  if (
    fetch === plain &&
    (source.kind === 'column' || source.kind === 'date-of' || source.kind === 'time-of')
  ) {
    const table = (source.kind === 'column' ? source.table : undefined) ?? spec.source!;
    const index = sourceIndex(table, source.column, `${spec.name}.${column.name}`);
    const step = source.kind === 'column' ? Step.Copy : source.kind === 'date-of' ? Step.DateOf : Step.TimeOf;
    return { step, table, index, fetch };
  }
  return { step: Step.Fetch, table: undefined, index: -1, fetch };
}

export function rowBuilder(spec: TableSpec): RowBuilder {
  const columns = lakeColumns(spec);
  const steps = columns.map((column) => columnStep(spec, column));
  const datesReferenced = new Set(
    spec.columns.filter((c) => c.references?.table === 'dim_date').map((c) => c.name),
  );
  const dateKeys = columns.flatMap((c, i) => (datesReferenced.has(c.name) ? [i] : []));
  return {
    spec,
    columns,
    dateKeys,
    position(name) {
      const index = columns.findIndex((c) => c.name === name);
      if (index < 0) throw new Error(`${spec.name} has no lake column ${name}`);
      return index;
    },
    build(sources, where, derived) {
      const row: ParquetValue[] = new Array(steps.length);
      for (let i = 0; i < steps.length; i++) {
        const { step, table, index, fetch } = steps[i]!;
        switch (step) {
          case Step.Copy: {
            const source = sources[table!];
            // As the column fetch words it (a spec/caller mismatch, not bad data).
            if (!source) return fetch(sources, where, derived) as never;
            row[i] = source[index] as ParquetValue;
            break;
          }
          case Step.DateOf:
            row[i] = validatedDays(sources[table!]![index] as string);
            break;
          case Step.TimeOf:
            row[i] = validatedTimeMillis(sources[table!]![index] as string);
            break;
          default:
            row[i] = fetch(sources, where, derived);
        }
      }
      return row;
    },
  };
}
