/**
 * shared/parquet/snappy.ts writes the same bytes as hyparquet-writer's snappy (same algorithm, one
 * pre-sized buffer), and hyparquet decompresses them back to the input.
 */
import { describe, expect, test } from '@jest/globals';
import { snappyUncompress } from 'hyparquet';
import { snappyCompress as reference } from 'hyparquet-writer/src/snappy.js';
import { snappyCompress } from '../../../shared/parquet/snappy.ts';

/** Deterministic pseudo-random bytes (no Math.random: a failure must reproduce). */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const text = new TextEncoder().encode(
  Array.from({ length: 3000 }, (_, i) => `${i} Herzog Via, Flat ${i % 9}, Zürich 🚀`).join(''),
);
const ints = new Uint8Array(Int32Array.from({ length: 50_000 }, (_, i) => 19_000 + (i % 300)).buffer);
const INPUTS: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'one byte': Uint8Array.of(7),
  'below the 15-byte margin': noise(14, 1),
  zeros: new Uint8Array(100_000),
  noise: noise(200_000, 2),
  'repeating text (long literals and copies, offsets past 64 KiB)': text,
  'INT32 page': ints,
  'noise then repeats': new Uint8Array([...noise(70_000, 3), ...noise(70_000, 3)]),
};

describe('snappy', () => {
  for (const [name, input] of Object.entries(INPUTS)) {
    test(`${name}: the reference's bytes, and hyparquet reads them back`, () => {
      const compressed = snappyCompress(input);
      expect(Buffer.from(compressed).equals(Buffer.from(reference(input)))).toBe(true);
      const back = new Uint8Array(input.length);
      snappyUncompress(compressed, back);
      expect(Buffer.from(back).equals(Buffer.from(input))).toBe(true);
    });
  }
});
