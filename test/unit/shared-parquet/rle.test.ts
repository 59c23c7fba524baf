/**
 * shared/parquet/rle.ts writes the same bytes as hyparquet-writer's RLE/bit-packed hybrid (same
 * algorithm, one pre-sized array), and hyparquet reads them back to the values.
 */
import { describe, expect, test } from '@jest/globals';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { rleBitPackedHybrid, rleRun } from '../../../shared/parquet/rle.ts';

function reference(values: Int32Array | Uint8Array, bitWidth: number): Uint8Array {
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, values, bitWidth);
  return writer.getBytes();
}

/** Deterministic pseudo-random values below 2^bitWidth (a failure must reproduce). */
function noise(length: number, bitWidth: number, seed: number): Int32Array {
  const out = new Int32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[i] = (state >>> 8) % 2 ** bitWidth;
  }
  return out;
}

const levels = (pattern: (i: number) => boolean, length: number) =>
  Uint8Array.from({ length }, (_, i) => (pattern(i) ? 1 : 0));

const INPUTS: [string, Int32Array | Uint8Array, number][] = [
  ['empty', new Int32Array(0), 1],
  ['one value', Int32Array.of(1), 1],
  ['levels: every third null', levels((i) => i % 3 !== 0, 20_000), 1],
  ['levels: long runs of both', levels((i) => Math.floor(i / 37) % 2 === 0, 20_001), 1],
  ['levels: a few nulls', levels((i) => i % 1000 !== 7, 19_999), 1],
  ['indexes: 3 bits, random', noise(20_000, 3, 1), 3],
  ['indexes: 14 bits, random', noise(20_000, 14, 2), 14],
  [
    'indexes: 17 bits, runs mid-group',
    Int32Array.from({ length: 5003 }, (_, i) => Math.floor(i / 13) * 977),
    17,
  ],
  ['indexes: one value repeated', new Int32Array(20_000).fill(5), 3],
  ['indexes: 24 bits', noise(1000, 24, 3), 24],
];

describe('RLE/bit-packed hybrid', () => {
  for (const [name, values, bitWidth] of INPUTS) {
    test(`${name}: the reference's bytes, and hyparquet reads them back`, () => {
      const bytes = rleBitPackedHybrid(values, bitWidth);
      expect(Buffer.from(bytes).equals(Buffer.from(reference(values, bitWidth)))).toBe(true);
      // A typed array: the reader writes a run past the end of a plain array, growing it.
      const back = new Int32Array(values.length);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      readRleBitPackedHybrid({ view, offset: 0 }, bitWidth, back, bytes.length);
      expect(Array.from(back)).toEqual(Array.from(values));
    });
  }

  test('a prefix is written before the values (the bit width of an index page)', () => {
    const values = noise(100, 5, 4);
    const bytes = rleBitPackedHybrid(values, 5, [5]);
    expect(bytes[0]).toBe(5);
    expect(Buffer.from(bytes.subarray(1)).equals(Buffer.from(reference(values, 5)))).toBe(true);
  });

  test('one run: the header (count << 1, a varint) and the value in its bytes, read back', () => {
    for (const [count, bitWidth, value] of [
      [3, 1, 1],
      [300, 1, 1],
      [1_000_000, 1, 1],
      [70_000, 12, 2_049],
    ] as const) {
      const bytes = rleRun(value, count, bitWidth);
      const back = new Int32Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      readRleBitPackedHybrid({ view, offset: 0 }, bitWidth, back, bytes.length);
      expect(back.every((v) => v === value)).toBe(true);
    }
    // 300 << 1 = 600 = 0xd8 0x04 as a varint, then the value 1 in one byte.
    expect(Array.from(rleRun(1, 300, 1))).toEqual([0xd8, 0x04, 1]);
  });
});
