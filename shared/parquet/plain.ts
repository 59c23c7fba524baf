/**
 * PLAIN encoding (the Parquet spec's "Plain: PLAIN = 0") of the physical values of
 * ./column-values.ts, straight into bytes: little-endian INT32/INT64, BYTE_ARRAY as a 4-byte
 * length and the UTF-8 bytes, FIXED_LEN_BYTE_ARRAY(16) as big-endian two's complement (DECIMAL),
 * BOOLEAN bit-packed from the least significant bit.
 */
import type { PhysicalValues } from './column-values.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 2 ** 32;
const utf8 = new TextEncoder();

/** A growable byte buffer (the page being encoded). */
export class Bytes {
  bytes: Uint8Array;
  view: DataView;
  length = 0;

  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  ensure(more: number): void {
    const needed = this.length + more;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function int32(values: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i]!, true);
  return out;
}

/** Writes an exact integer (a number below 2^53 in magnitude, or a bigint) as INT64 little-endian. */
function setInt64(view: DataView, offset: number, value: number | bigint): void {
  if (typeof value === 'bigint') {
    view.setBigInt64(offset, value, true);
    return;
  }
  const high = Math.floor(value / TWO_32);
  view.setUint32(offset, value - high * TWO_32, true);
  view.setInt32(offset + 4, high, true);
}

function int64(values: readonly (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) setInt64(view, i * 8, values[i]!);
  return out;
}

const MASK_64 = (1n << 64n) - 1n;

/** DECIMAL(p ≤ 38) unscaled values as 16-byte big-endian two's complement. */
function fixed16(values: readonly (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(values.length * 16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const value = BigInt.asUintN(128, BigInt(values[i]!));
    view.setBigUint64(i * 16, value >> 64n, false);
    view.setBigUint64(i * 16 + 8, value & MASK_64, false);
  }
  return out;
}

function boolean(values: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) if (values[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** Appends one string as a 4-byte length and its UTF-8 bytes (ASCII copied directly). */
export function appendString(out: Bytes, value: string): void {
  const length = value.length;
  out.ensure(4 + length * 3);
  const bytes = out.bytes;
  const start = out.length + 4;
  let i = 0;
  for (; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) break;
    bytes[start + i] = code;
  }
  const written =
    i === length ? length : i + utf8.encodeInto(value.slice(i), bytes.subarray(start + i)).written;
  out.view.setUint32(start - 4, written, true);
  out.length = start + written;
}

function byteArray(values: readonly string[]): Uint8Array {
  let estimate = 0;
  for (const value of values) estimate += 4 + value.length;
  const out = new Bytes(estimate + 64);
  for (const value of values) appendString(out, value);
  return out.result();
}

/** The PLAIN bytes of `physical`'s values (for INT32 a view of the same memory, not a copy). */
export function plainBytes(physical: PhysicalValues): Uint8Array {
  switch (physical.type) {
    case 'INT32':
      return int32(physical.values);
    case 'INT64':
      return int64(physical.values);
    case 'BYTE_ARRAY':
      return byteArray(physical.values);
    case 'BOOLEAN':
      return boolean(physical.values);
    case 'FIXED_LEN_BYTE_ARRAY':
      return fixed16(physical.values);
  }
}
