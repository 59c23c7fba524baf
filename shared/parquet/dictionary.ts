/**
 * Whether a column chunk is dictionary-encoded (RLE_DICTIONARY), decided cheaply: only the column
 * kinds whose values repeat in practice are candidates (ids and foreign keys, dates, text, decimal
 * amounts); timestamps, times of day, booleans and wide decimals are always PLAIN. A candidate
 * gives up after its first TRIAL_VALUES values if more than half were distinct (keys, serials,
 * free text), so a unique column costs a short look, not a full dictionary build; it keeps the
 * dictionary only when at most half of its values are distinct (then the dictionary and the
 * bit-packed indexes are smaller than PLAIN).
 */
import type { PhysicalValues } from './column-values.ts';
import type { ResolvedColumn } from './types.ts';

export const TRIAL_VALUES = 1024;

export interface Dictionary {
  /** The distinct values in order of first appearance, as the same physical type. */
  readonly entries: PhysicalValues;
  /** Per non-null value, its entry's position. */
  readonly indexes: Int32Array;
  /** Bits per index in the data page (at least 1). */
  readonly bitWidth: number;
}

/** Whether the column's kind is a dictionary candidate (from the schema, not the data). */
export function isDictionaryCandidate(column: ResolvedColumn): boolean {
  switch (column.type.kind) {
    case 'int32':
    case 'date':
    case 'utf8':
      return true;
    case 'decimal':
      return column.type.precision <= 18;
    default:
      return false;
  }
}

function build<T>(values: ArrayLike<T>): { entries: T[]; indexes: Int32Array } | undefined {
  const count = values.length;
  const positions = new Map<T, number>();
  const entries: T[] = [];
  const indexes = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if (i === TRIAL_VALUES && entries.length * 2 > TRIAL_VALUES) return undefined;
    const value = values[i]!;
    let position = positions.get(value);
    if (position === undefined) {
      position = entries.length;
      entries.push(value);
      positions.set(value, position);
    }
    indexes[i] = position;
  }
  if (count === 0 || entries.length * 2 > count) return undefined;
  return { entries, indexes };
}

/** The dictionary of a candidate column's values, or undefined when PLAIN is the better encoding. */
export function dictionaryOf(physical: PhysicalValues): Dictionary | undefined {
  let entries: PhysicalValues;
  let indexes: Int32Array;
  switch (physical.type) {
    case 'INT32': {
      const built = build(physical.values);
      if (!built) return undefined;
      entries = { type: 'INT32', values: Int32Array.from(built.entries) };
      indexes = built.indexes;
      break;
    }
    case 'INT64': {
      const built = build(physical.values);
      if (!built) return undefined;
      entries = { type: 'INT64', values: built.entries };
      indexes = built.indexes;
      break;
    }
    case 'BYTE_ARRAY': {
      const built = build(physical.values);
      if (!built) return undefined;
      entries = { type: 'BYTE_ARRAY', values: built.entries };
      indexes = built.indexes;
      break;
    }
    default:
      return undefined;
  }
  const size = entries.values.length;
  return { entries, indexes, bitWidth: Math.max(1, Math.ceil(Math.log2(size))) };
}
