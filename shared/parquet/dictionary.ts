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

/**
 * The tables of `buildInt32`, reused from chunk to chunk (a chunk is at most one row group).
 * Open addressing: slot → entry position + 1 (0: empty), and the value held there. Direct: value
 * − the chunk's minimum → entry position + 1 (0: not seen), zeroed again after each chunk.
 */
let slotPositions = new Int32Array(0);
let slotValues = new Int32Array(0);
let directPositions = new Int32Array(0);

/** Values spanning at most this many integers (dates, most foreign keys) are indexed directly. */
const MAX_DIRECT_RANGE = 1 << 16;

/**
 * `build` for INT32 values (ids, foreign keys, dates): the same entries, indexes and decisions,
 * with the values looked up in a typed-array table instead of a Map (a Map lookup and insert per
 * value was most of the dictionary's time): indexed by value when the chunk's values span at most
 * 65,536 integers (no hashing, no probing), else hashed. It gives up as soon as more than half of
 * the chunk's values are distinct, which `build` decides at the end: the answer is the same.
 */
function buildInt32(values: Int32Array): { entries: Int32Array; indexes: Int32Array } | undefined {
  const count = values.length;
  if (count === 0) return undefined;
  let min = values[0]!;
  let max = min;
  for (let i = 1; i < count; i++) {
    const value = values[i]!;
    if (value < min) min = value;
    else if (value > max) max = value;
  }
  return max - min < MAX_DIRECT_RANGE
    ? buildInt32Direct(values, min, max - min + 1)
    : buildInt32Hashed(values);
}

function buildInt32Direct(
  values: Int32Array,
  min: number,
  range: number,
): { entries: Int32Array; indexes: Int32Array } | undefined {
  const count = values.length;
  const maxEntries = count >> 1;
  if (directPositions.length < range) directPositions = new Int32Array(Math.max(range, 1024));
  const positions = directPositions;
  const entries = new Int32Array(maxEntries);
  const indexes = new Int32Array(count);
  let distinct = 0;
  let kept = true;
  for (let i = 0; i < count; i++) {
    if (i === TRIAL_VALUES && distinct * 2 > TRIAL_VALUES) {
      kept = false;
      break;
    }
    const value = values[i]!;
    const slot = value - min;
    let position = positions[slot]! - 1;
    if (position < 0) {
      if (distinct === maxEntries) {
        kept = false;
        break;
      }
      position = distinct++;
      entries[position] = value;
      positions[slot] = position + 1;
    }
    indexes[i] = position;
  }
  for (let e = 0; e < distinct; e++) positions[entries[e]! - min] = 0;
  return kept ? { entries: entries.slice(0, distinct), indexes } : undefined;
}

function buildInt32Hashed(values: Int32Array): { entries: Int32Array; indexes: Int32Array } | undefined {
  const count = values.length;
  const maxEntries = count >> 1;
  let bits = 4;
  while (1 << bits < (maxEntries + 1) * 2) bits++;
  const size = 1 << bits;
  if (slotPositions.length < size) {
    slotPositions = new Int32Array(size);
    slotValues = new Int32Array(size);
  } else slotPositions.fill(0, 0, size);
  const shift = 32 - bits;
  const mask = size - 1;
  const entries = new Int32Array(maxEntries);
  const indexes = new Int32Array(count);
  let distinct = 0;
  for (let i = 0; i < count; i++) {
    if (i === TRIAL_VALUES && distinct * 2 > TRIAL_VALUES) return undefined;
    const value = values[i]!;
    let slot = Math.imul(value, 0x9e3779b1) >>> shift;
    let position: number;
    for (;;) {
      const held = slotPositions[slot]!;
      if (held === 0) {
        if (distinct === maxEntries) return undefined;
        position = distinct++;
        entries[position] = value;
        slotPositions[slot] = position + 1;
        slotValues[slot] = value;
        break;
      }
      if (slotValues[slot] === value) {
        position = held - 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
    indexes[i] = position;
  }
  return { entries: entries.slice(0, distinct), indexes };
}

/** The dictionary of a candidate column's values, or undefined when PLAIN is the better encoding. */
export function dictionaryOf(physical: PhysicalValues): Dictionary | undefined {
  let entries: PhysicalValues;
  let indexes: Int32Array;
  switch (physical.type) {
    case 'INT32': {
      const built = buildInt32(physical.values);
      if (!built) return undefined;
      entries = { type: 'INT32', values: built.entries };
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
