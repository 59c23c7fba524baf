/**
 * Where an open-addressing table over typed arrays (fact-versions.ts, dimension-rows.ts) first
 * looks for a 32-bit id. A part's ids mostly come in order, so neighbouring ids get neighbouring
 * slots (blocks of 16, the blocks spread by a multiplicative hash): the table is walked, not hit
 * at random (a random slot per row cost a cache miss per row, several times the hashing).
 */
const BLOCK_BITS = 4;
const IN_BLOCK = (1 << BLOCK_BITS) - 1;

/** The first slot for `id` in a table of `mask + 1` slots (a power of two). */
export function firstSlot(id: number, mask: number): number {
  let block = Math.imul(id >> BLOCK_BITS, 0x9e37_79b1);
  block ^= block >>> 15;
  return ((block << BLOCK_BITS) | (id & IN_BLOCK)) & mask;
}
