/**
 * The RLE/bit-packed hybrid encoding (Parquet's "RLE = 3") of definition levels and dictionary
 * indexes, the same algorithm and bytes as hyparquet-writer's `writeRleBitPackedHybrid` (runs of
 * 8 or more equal values at a group boundary as RLE runs, everything else in bit-packed groups of
 * 8), written straight into one pre-sized byte array: that writer appends byte by byte through a
 * growable ByteWriter (a bounds check and a DataView call per byte), about a tenth of the Parquet
 * encoding's time at scale 10.
 */

/** Values per bit-packed group. */
const GROUP = 8;

/** The most bytes `count` values of `bitWidth` bits can take (plus `prefix` bytes before them). */
function maxLength(count: number, bitWidth: number, prefix: number): number {
  const groups = Math.ceil(count / GROUP);
  // Per group at most: its packed bytes, or a run's header (≤ 5 bytes) and value (≤ 4 bytes).
  return prefix + groups * (bitWidth + 9) + 16;
}

function appendVarInt(out: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v > 0x7f) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

function appendBitPackedGroups(
  out: Uint8Array,
  at: number,
  values: ArrayLike<number>,
  start: number,
  groups: number,
  bitWidth: number,
): number {
  let op = appendVarInt(out, at, (groups << 1) | 1);
  if (bitWidth === 0) return op;
  const mask = (1 << bitWidth) - 1;
  const count = values.length;
  const end = start + groups * GROUP;
  let buffer = 0;
  let bitsUsed = 0;
  for (let i = start; i < end; i++) {
    const v = i < count ? values[i]! & mask : 0;
    buffer |= v << bitsUsed;
    bitsUsed += bitWidth;
    while (bitsUsed >= 8) {
      out[op++] = buffer & 0xff;
      buffer >>>= 8;
      bitsUsed -= 8;
    }
  }
  if (bitsUsed > 0) out[op++] = buffer & 0xff;
  return op;
}

function appendRun(out: Uint8Array, at: number, value: number, count: number, bitWidth: number): number {
  let op = appendVarInt(out, at, count << 1);
  const width = (bitWidth + 7) >> 3;
  for (let j = 0; j < width; j++) out[op++] = (value >> (j << 3)) & 0xff;
  return op;
}

/** One RLE run: `count` times `value` at `bitWidth` bits (all definition levels 1: no nulls). */
export function rleRun(value: number, count: number, bitWidth: number): Uint8Array {
  const out = new Uint8Array(5 + ((bitWidth + 7) >> 3));
  return out.subarray(0, appendRun(out, 0, value, count, bitWidth));
}

/**
 * `values` RLE/bit-packed at `bitWidth` bits each, after `prefix` (bytes written first: the bit
 * width byte of a dictionary index page).
 */
export function rleBitPackedHybrid(
  values: ArrayLike<number>,
  bitWidth: number,
  prefix: readonly number[] = [],
): Uint8Array {
  const count = values.length;
  const out = new Uint8Array(maxLength(count, bitWidth, prefix.length));
  let op = 0;
  for (const byte of prefix) out[op++] = byte;
  let pendingGroups = 0;
  let packedStart = 0;
  let i = 0;
  while (i < count) {
    const first = values[i]!;
    let run = 1;
    while (i + run < count && values[i + run] === first) run++;
    if (run >= GROUP) {
      if (pendingGroups > 0) {
        op = appendBitPackedGroups(out, op, values, packedStart, pendingGroups, bitWidth);
        pendingGroups = 0;
      }
      op = appendRun(out, op, first, run, bitWidth);
      i += run;
    } else {
      if (pendingGroups === 0) packedStart = i;
      pendingGroups++;
      i += GROUP;
    }
  }
  if (pendingGroups > 0) op = appendBitPackedGroups(out, op, values, packedStart, pendingGroups, bitWidth);
  return out.subarray(0, op);
}
