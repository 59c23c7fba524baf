/**
 * Snappy compression of a page, the same algorithm and output as hyparquet-writer's
 * `snappyCompress` (snappyjs, MIT, Copyright (c) 2016 Zhipeng Jia), written straight into one
 * pre-sized byte array instead of a growing writer appended to byte by byte: the profile of the
 * transform showed that writer's per-byte calls and regrowth copies at about half of snappy's time.
 */

const MAX_HASH_TABLE_BITS = 14;
const MAX_OFFSET = 0xffff;
const INPUT_MARGIN = 15;
const hashTables: Uint32Array[] = [];

/** The largest output snappy can produce for `length` input bytes (the reference's bound). */
function maxCompressedLength(length: number): number {
  return 32 + length + Math.floor(length / 6);
}

const hash = (key: number, shift: number) => Math.imul(key, 0x1e35a7bd) >>> shift;
const load32 = (a: Uint8Array, i: number) => a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
const equals32 = (a: Uint8Array, i: number, j: number) =>
  a[i] === a[j] && a[i + 1] === a[j + 1] && a[i + 2] === a[j + 2] && a[i + 3] === a[j + 3];

export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(input.length));
  let op = 0;
  // Preamble: the uncompressed length as a varint.
  for (let n = input.length; ; n >>>= 7) {
    if (n < 0x80) {
      out[op++] = n;
      break;
    }
    out[op++] = (n & 0x7f) | 0x80;
  }

  const literal = (from: number, length: number) => {
    const value = length - 1;
    if (length <= 60) out[op++] = value << 2;
    else {
      const bytes = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
      out[op++] = (59 + bytes) << 2;
      for (let i = 0; i < bytes; i++) out[op++] = (value >>> (i * 8)) & 0xff;
    }
    out.set(input.subarray(from, from + length), op);
    op += length;
  };
  const copyUpTo64 = (offset: number, length: number) => {
    if (length < 12 && offset < 2048) {
      out[op++] = 1 + ((length - 4) << 2) + ((offset >>> 8) << 5);
      out[op++] = offset & 0xff;
    } else {
      out[op++] = 2 + ((length - 1) << 2);
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
    }
  };
  const copy = (offset: number, length: number) => {
    let left = length;
    while (left >= 68) {
      copyUpTo64(offset, 64);
      left -= 64;
    }
    if (left > 64) {
      copyUpTo64(offset, 60);
      left -= 60;
    }
    copyUpTo64(offset, left);
  };

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
      literal(nextEmit, ip - nextEmit);
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        copy(base - candidate, matched);
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
  if (nextEmit < end) literal(nextEmit, end - nextEmit);
  return out.subarray(0, op);
}
