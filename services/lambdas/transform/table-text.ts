/**
 * The fast way in for an ingestion table object: its text as the extract writes it (JSON.stringify:
 * no whitespace, the envelope's keys before `rows`), read in one pass straight into row arrays while
 * each value is checked against its source column. The general way (JSON.parse builds every row,
 * then validateTableObject walks them again) was about a quarter of the transform's CPU at scale 10.
 *
 * The text is read as bytes (Buffer.from(text, 'latin1'): a typed array is read about a quarter
 * faster than a string's characters one by one), which is exact for an ASCII text: every fact part
 * is one; a text with any other character goes the general way.
 *
 * It answers only for an object it reads entirely and finds valid in every value. Anything else
 * (malformed JSON, a value its column refuses, a null where none is allowed, whitespace, a
 * non-ASCII character, an escape outside a varchar, a number it does not write, a duplicate key,
 * keys after `rows`) makes it answer `undefined`, and the caller takes the general way, which words the
 * error or holds the row exactly as before: this path changes no result and no error, only speed.
 *
 * Strings: a value shorter than 13 characters is cut out of the text (V8 copies a short substring);
 * a longer or escaped varchar is read by JSON.parse of its literal (a copy: a substring that long
 * would be a slice that keeps the whole text alive while any row value lives); a timestamp equal to
 * the row's previous one (created_at = last_updated: every row of a first load) is that same
 * string, else it is copied (see `copyOf`).
 */

import { Buffer } from 'node:buffer';
import type { SourceValue } from '../../../shared/lake/index.ts';
import type { SourceColumn } from '../../../shared/schema/totesys.ts';
import { decimalEndIn, INT32_MAX, INT32_MIN, timestampKeyIn } from '../../../shared/schema/value-kinds.ts';

/** What a column's values are read as (a small number: one switch per value, no call through a closure). */
const INT = 0;
const DECIMAL = 1;
const VARCHAR = 2;
const TIMESTAMP = 3;
const BOOLEAN = 4;
/** Added to a kind: null is allowed. */
const NULLABLE = 8;

const KIND_OF_TYPE: Readonly<Record<SourceColumn['type'], number>> = {
  int: INT,
  numeric: DECIMAL,
  varchar: VARCHAR,
  timestamp: TIMESTAMP,
  boolean: BOOLEAN,
};

/** A table's columns as the reader needs them, compiled once per column list. */
interface RowPlan {
  readonly kinds: Int8Array;
  /** A varchar's declared length (currency_code: 3); Infinity when it has none. */
  readonly maxLengths: Float64Array;
}

const plans = new WeakMap<readonly SourceColumn[], RowPlan>();

function planOf(columns: readonly SourceColumn[]): RowPlan {
  let plan = plans.get(columns);
  if (!plan) {
    plan = {
      kinds: Int8Array.from(columns, (c) => KIND_OF_TYPE[c.type] + (c.nullable ? NULLABLE : 0)),
      maxLengths: Float64Array.from(columns, (c) => c.length ?? Number.POSITIVE_INFINITY),
    };
    plans.set(columns, plan);
  }
  return plan;
}

/** Thrown inside the reader only: "take the general way". One instance, made once. */
class NotReadHere extends Error {}
const notReadHere = new NotReadHere('not read on the fast path');

/** Below this length V8 copies a substring; from it on a substring is a slice of the whole text. */
const SLICE_MIN_LENGTH = 13;
const TIMESTAMP_LENGTH = 23;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * A flat copy of a validated timestamp (digits and '- :.' only, so lower-casing changes no
 * character): V8's toLowerCase of a one-byte string always builds a new sequential string, where
 * `slice` would return a slice of the whole text, kept alive as long as the value (the unit keeps
 * a dimension row's last_updated as its source_version). About 3× cheaper than JSON.parse of the
 * literal.
 */
const copyOf = (timestamp: string): string => timestamp.toLowerCase();

/** JSON.parse of one string literal (a bad escape: the general way words the error). */
function parseLiteral(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw notReadHere;
  }
}

/**
 * One buffer for the bytes of every text read (grown to the largest part, kept): a new 2 MB
 * buffer per table object raised the transform's peak RSS by about 30 MB at scale 10 (freed
 * only as the GC finds their handles).
 */
let scratch = Buffer.allocUnsafeSlow(0);

/** The bytes of an ASCII text, in `scratch` (valid until the next call). */
function bytesOf(text: string): Uint8Array {
  if (scratch.length < text.length) scratch = Buffer.allocUnsafeSlow(Math.ceil(text.length * 1.25));
  scratch.write(text, 0, text.length, 'latin1');
  return scratch.subarray(0, text.length); // reads past the text's end are undefined, as they must be
}

export interface TableText {
  /** The envelope's members before `rows` (format, runId, table, part, columns). */
  readonly envelope: Readonly<Record<string, unknown>>;
  readonly rows: SourceValue[][];
}

/**
 * Reads `text`, or answers undefined (take the general way). `columnsOf` is asked, once the
 * envelope before `rows` is read, for the columns the rows hold in order (undefined: take the
 * general way); each row must hold exactly those, each value valid, and there must be
 * `rowCount` rows (the manifest's count).
 */
export function readTableText(
  text: string,
  rowCount: number,
  columnsOf: (envelope: Readonly<Record<string, unknown>>) => readonly SourceColumn[] | undefined,
): TableText | undefined {
  // Read as bytes (a typed array is read far more cheaply than a string's characters): exact for
  // an ASCII text, which every fact part is; any other goes the general way.
  if (Buffer.byteLength(text, 'utf8') !== text.length) return undefined;
  const reader = new TableTextReader(text, bytesOf(text));
  try {
    return reader.read(rowCount, columnsOf);
  } catch (error) {
    if (error === notReadHere) return undefined;
    throw error;
  }
}

class TableTextReader {
  private readonly text: string;
  /** The text's characters (ASCII), one byte each: where the text is read; strings are cut from `text`. */
  private readonly bytes: Uint8Array;
  private pos = 0;

  constructor(text: string, bytes: Uint8Array) {
    this.text = text;
    this.bytes = bytes;
  }

  read(
    rowCount: number,
    columnsOf: (envelope: Readonly<Record<string, unknown>>) => readonly SourceColumn[] | undefined,
  ): TableText {
    const text = this.text;
    this.expect(OPEN_BRACE);
    const envelope: Record<string, unknown> = {};
    for (;;) {
      const key = this.string(Number.POSITIVE_INFINITY);
      if (key === '__proto__' || Object.hasOwn(envelope, key)) throw notReadHere;
      this.expect(COLON);
      if (key === 'rows') {
        const columns = columnsOf(envelope);
        if (!columns) throw notReadHere;
        const rows = this.rows(planOf(columns), rowCount);
        // Keys after `rows` (or a second `rows`) are left to JSON.parse.
        this.expect(CLOSE_BRACE);
        if (this.pos !== text.length) throw notReadHere;
        return { envelope, rows };
      }
      envelope[key] = this.value();
      if (!this.next(COMMA)) throw notReadHere; // an object without rows: the general way words it
    }
  }

  private expect(code: number): void {
    if (this.bytes[this.pos] !== code) throw notReadHere;
    this.pos++;
  }

  /** Steps over `code` if it comes next. */
  private next(code: number): boolean {
    if (this.bytes[this.pos] !== code) return false;
    this.pos++;
    return true;
  }

  /** A JSON value of the envelope: object, array, string, integer, true, false or null. */
  private value(): unknown {
    const code = this.bytes[this.pos];
    if (code === QUOTE) return this.string(Number.POSITIVE_INFINITY);
    if (code === OPEN_BRACKET) {
      this.pos++;
      const items: unknown[] = [];
      if (this.next(CLOSE_BRACKET)) return items;
      do items.push(this.value());
      while (this.next(COMMA));
      this.expect(CLOSE_BRACKET);
      return items;
    }
    if (code === OPEN_BRACE) {
      this.pos++;
      const members: Record<string, unknown> = {};
      if (this.next(CLOSE_BRACE)) return members;
      do {
        const key = this.string(Number.POSITIVE_INFINITY);
        if (key === '__proto__' || Object.hasOwn(members, key)) throw notReadHere;
        this.expect(COLON);
        members[key] = this.value();
      } while (this.next(COMMA));
      this.expect(CLOSE_BRACE);
      return members;
    }
    if (this.literal('null')) return null;
    if (code === 116 || code === 102) return this.boolean(); // 't', 'f'
    return this.integer();
  }

  private literal(word: 'null' | 'true' | 'false'): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private boolean(): boolean {
    if (this.literal('true')) return true;
    if (this.literal('false')) return false;
    throw notReadHere;
  }

  /**
   * A 32-bit integer written as JSON.stringify writes one ('-?(0|[1-9][0-9]*)'); '-0', fractions
   * and exponents go the general way (the caller's next character check refuses them).
   */
  private integer(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    const negative = bytes[pos] === 45; // '-'
    if (negative) pos++;
    const first = pos;
    let digit = bytes[pos]! - 48;
    if (!(digit >= 0 && digit <= 9)) throw notReadHere;
    let n = digit;
    pos++;
    if (n !== 0) {
      // At most 11 digits (exact in a double); a 12th is refused by the caller's next-character check.
      for (; pos - first < 11; pos++) {
        digit = bytes[pos]! - 48;
        if (!(digit >= 0 && digit <= 9)) break;
        n = n * 10 + digit;
      }
    } else if (negative) throw notReadHere;
    this.pos = pos;
    const value = negative ? -n : n;
    if (value < INT32_MIN || value > INT32_MAX) throw notReadHere;
    return value;
  }

  /**
   * A string literal of at most `maxLength` characters. Short and unescaped: cut out (a copy);
   * longer or escaped: JSON.parse of the literal (a copy, escapes read exactly as JSON.parse
   * reads them). A control character (invalid JSON) goes the general way.
   */
  private string(maxLength: number): string {
    const text = this.text;
    const bytes = this.bytes;
    const open = this.pos;
    if (bytes[open] !== QUOTE) throw notReadHere;
    let pos = open + 1;
    let escaped = false;
    for (;;) {
      const code = bytes[pos]!;
      if (code === QUOTE) break;
      if (code === BACKSLASH) {
        escaped = true;
        pos++;
      } else if (!(code >= 32)) throw notReadHere; // also undefined: the text ended
      pos++;
    }
    this.pos = pos + 1;
    const length = pos - open - 1;
    if (!escaped && length < SLICE_MIN_LENGTH) {
      if (length > maxLength) throw notReadHere;
      return text.slice(open + 1, pos);
    }
    const value = parseLiteral(text.slice(open, pos + 1));
    if (value.length > maxLength) throw notReadHere;
    return value;
  }

  /** A decimal string '-?digits(.digits)?' with nothing else between its quotes. */
  private decimal(): string {
    const text = this.text;
    const bytes = this.bytes;
    const open = this.pos;
    if (bytes[open] !== QUOTE) throw notReadHere;
    const end = decimalEndIn(bytes, open + 1);
    if (end < 0 || bytes[end] !== QUOTE) throw notReadHere;
    this.pos = end + 1;
    if (end - open - 1 < SLICE_MIN_LENGTH) return text.slice(open + 1, end);
    return parseLiteral(text.slice(open, end + 1));
  }

  /**
   * The key (value-kinds' `timestampKeyAt`) of the timestamp 'YYYY-MM-DD HH:MM:SS.mmm' written
   * next between quotes (checked whole), stepping over it; its text starts at the position before.
   */
  private timestampKey(): number {
    const bytes = this.bytes;
    const start = this.pos + 1;
    if (bytes[this.pos] !== QUOTE || bytes[start + TIMESTAMP_LENGTH] !== QUOTE) throw notReadHere;
    const key = timestampKeyIn(bytes, start);
    if (key < 0) throw notReadHere;
    this.pos = start + TIMESTAMP_LENGTH + 1;
    return key;
  }

  private rows(plan: RowPlan, count: number): SourceValue[][] {
    const { kinds, maxLengths } = plan;
    const width = kinds.length;
    // Sized once (the count is known): no growing and copying of a large array while reading.
    const rows: SourceValue[][] = new Array(count);
    this.expect(OPEN_BRACKET);
    if (this.next(CLOSE_BRACKET)) {
      if (count !== 0) throw notReadHere;
      return rows;
    }
    const text = this.text;
    let r = 0;
    do {
      if (r === count) throw notReadHere;
      this.expect(OPEN_BRACKET);
      const row: SourceValue[] = new Array(width);
      // The row's last timestamp (its key and string): an equal one is the same string.
      let timestampKey = -1;
      let timestamp = '';
      for (let c = 0; c < width; c++) {
        if (c > 0) this.expect(COMMA);
        const kind = kinds[c]!;
        if (this.bytes[this.pos] === 110) {
          // 'n': null, where its column allows it (else the general way refuses or holds the row)
          if (kind < NULLABLE || !this.literal('null')) throw notReadHere;
          row[c] = null;
          continue;
        }
        switch (kind & 7) {
          case INT:
            row[c] = this.integer();
            break;
          case DECIMAL:
            row[c] = this.decimal();
            break;
          case VARCHAR:
            row[c] = this.string(maxLengths[c]!);
            break;
          case TIMESTAMP: {
            const start = this.pos + 1;
            const key = this.timestampKey();
            if (key !== timestampKey) {
              timestampKey = key;
              timestamp = copyOf(text.slice(start, start + TIMESTAMP_LENGTH));
            }
            row[c] = timestamp;
            break;
          }
          case BOOLEAN:
            row[c] = this.boolean();
            break;
        }
      }
      this.expect(CLOSE_BRACKET);
      rows[r++] = row;
    } while (this.next(COMMA));
    this.expect(CLOSE_BRACKET);
    if (r !== count) throw notReadHere;
    return rows;
  }
}
