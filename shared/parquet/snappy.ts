/**
 * Snappy compression of a page, the same algorithm and output as hyparquet-writer's
 * `snappyCompress` (snappyjs, MIT, Copyright (c) 2016 Zhipeng Jia), written straight into one
 * reused scratch buffer instead of a growing writer appended to byte by byte: the profile of the
 * transform showed that writer's per-byte calls and regrowth copies at about half of snappy's time.
 * The emitters are plain functions over (output, position) rather than closures over a shared
 * `op` (a captured, mutated variable lives in a heap context: every byte written was a context
 * load and store), and short literals are copied byte by byte (a `subarray` + `set` per literal
 * allocated a view each time: most literals of index and timestamp pages are a few bytes).
 */

const MAX_HASH_TABLE_BITS = 14;
const MAX_OFFSET = 0xffff;
const INPUT_MARGIN = 15;
/** Literals up to this length are copied in a loop; longer ones with `set`. */
const SHORT_LITERAL = 32;
const hashTables: Uint32Array[] = [];
/** The output of the last compression (grown when a page needs more); see `compressedLength`. */
let scratch = new Uint8Array(0);

/** The largest output snappy can produce for `length` input bytes (the reference's bound). */
function maxCompressedLength(length: number): number {
  return 32 + length + Math.floor(length / 6);
}

const hash = (key: number, shift: number) => Math.imul(key, 0x1e35a7bd) >>> shift;
const load32 = (a: Uint8Array, i: number) => a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
const equals32 = (a: Uint8Array, i: number, j: number) =>
  a[i] === a[j] && a[i + 1] === a[j + 1] && a[i + 2] === a[j + 2] && a[i + 3] === a[j + 3];

/** Emits the literal `input[from, from + length)` at `op`; returns the new output position. */
function emitLiteral(out: Uint8Array, op: number, input: Uint8Array, from: number, length: number): number {
  const value = length - 1;
  if (length <= 60) out[op++] = value << 2;
  else {
    const bytes = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let i = 0; i < bytes; i++) out[op++] = (value >>> (i * 8)) & 0xff;
  }
  if (length <= SHORT_LITERAL) {
    for (let i = 0; i < length; i++) out[op + i] = input[from + i]!;
  } else out.set(input.subarray(from, from + length), op);
  return op + length;
}

function emitCopyUpTo64(out: Uint8Array, op: number, offset: number, length: number): number {
  if (length < 12 && offset < 2048) {
    out[op] = 1 + ((length - 4) << 2) + ((offset >>> 8) << 5);
    out[op + 1] = offset & 0xff;
    return op + 2;
  }
  out[op] = 2 + ((length - 1) << 2);
  out[op + 1] = offset & 0xff;
  out[op + 2] = offset >>> 8;
  return op + 3;
}

function emitCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  let left = length;
  while (left >= 68) {
    op = emitCopyUpTo64(out, op, offset, 64);
    left -= 64;
  }
  if (left > 64) {
    op = emitCopyUpTo64(out, op, offset, 60);
    left -= 60;
  }
  return emitCopyUpTo64(out, op, offset, left);
}

/** Compresses `input` into the scratch buffer and returns the compressed length. */
function compressToScratch(input: Uint8Array): number {
  const bound = maxCompressedLength(input.length);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const out = scratch;
  let op = 0;
  // Preamble: the uncompressed length as a varint.
  for (let n = input.length; ; n >>>= 7) {
    if (n < 0x80) {
      out[op++] = n;
      break;
    }
    out[op++] = (n & 0x7f) | 0x80;
  }

  const end = input.length;
  let nextEmit = 0;
  if (end >= INPUT_MARGIN) {
    let bits = 1;
    while (1 << bits <= end && bits <= MAX_HASH_TABLE_BITS) bits++;
    bits--;
    const shift = 32 - bits;
    hashTables[bits] ??= new Uint32Array(1 << bits);
    const table = hashTables[bits]!;
    table.fill(0);
    const limit = end - INPUT_MARGIN;
    let ip = 1;
    let nextHash = hash(load32(input, ip), shift);
    let more = true;
    while (more) {
      let skip = 32;
      let nextIp = ip;
      let candidate = 0;
      do {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip++ >>> 5);
        if (ip > limit) {
          more = false;
          break;
        }
        nextHash = hash(load32(input, nextIp), shift);
        candidate = table[h]!;
        table[h] = ip;
      } while (ip - candidate > MAX_OFFSET || !equals32(input, ip, candidate));
      if (!more) break;
      op = emitLiteral(out, op, input, nextEmit, ip - nextEmit);
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        op = emitCopy(out, op, base - candidate, matched);
        nextEmit = ip;
        if (ip >= limit) {
          more = false;
          break;
        }
        table[hash(load32(input, ip - 1), shift)] = ip - 1;
        const h = hash(load32(input, ip), shift);
        candidate = table[h]!;
        table[h] = ip;
      } while (ip - candidate <= MAX_OFFSET && equals32(input, ip, candidate));
      if (!more) break;
      ip++;
      nextHash = hash(load32(input, ip), shift);
    }
  }
  if (nextEmit < end) op = emitLiteral(out, op, input, nextEmit, end - nextEmit);
  return op;
}

/** The snappy length of `input` without keeping the bytes (a trial: does this page shrink?). */
export function snappyCompressedLength(input: Uint8Array): number {
  return compressToScratch(input);
}

/** The snappy compression of `input`, as a new array of exactly its length. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const length = compressToScratch(input); // first: it may replace `scratch`
  return scratch.slice(0, length);
}
