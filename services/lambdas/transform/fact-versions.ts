/**
 * The fact versions (natural id, last_updated) a unit has emitted, so a version met twice (in two
 * parts of the unit) is emitted once. A unit holds up to 500,000 fact rows, so the pairs are kept
 * as numbers in an open-addressing hash table over typed arrays (the id as an Int32, the version
 * as its ms since 1970), not a Map entry holding each version's text: that was a hash entry, a
 * boxed or string value per fact row, promoted to the old space and swept by its Mark-Compacts.
 */

/** Free slots hold NaN as their version (no version is NaN). */
const FREE = Number.NaN;
const FIRST_CAPACITY = 1024;

export class FactVersions {
  private ids = new Int32Array(FIRST_CAPACITY);
  private versions = new Float64Array(FIRST_CAPACITY).fill(FREE);
  private size = 0;

  /** The number of distinct versions added. */
  get count(): number {
    return this.size;
  }

  /**
   * Adds the version `stamp` (an integer, e.g. ms since 1970) of fact `id` (a 32-bit integer).
   * False when that pair was already added.
   */
  add(id: number, stamp: number): boolean {
    if ((this.size + 1) * 2 > this.ids.length) this.grow();
    const inserted = FactVersions.insert(this.ids, this.versions, id, stamp);
    if (inserted) this.size += 1;
    return inserted;
  }

  private static slot(id: number, stamp: number, mask: number): number {
    // Both halves mixed (an id often has a single version; several ids share a stamp).
    const low = (stamp % 4_294_967_296) | 0;
    const high = (stamp / 4_294_967_296) | 0;
    let h = Math.imul(id ^ Math.imul(low, 0x85eb_ca6b) ^ high, 0x9e37_79b1);
    h ^= h >>> 15;
    return h & mask;
  }

  private static insert(ids: Int32Array, versions: Float64Array, id: number, stamp: number): boolean {
    const mask = ids.length - 1;
    let slot = FactVersions.slot(id, stamp, mask);
    for (;;) {
      const version = versions[slot]!;
      if (Number.isNaN(version)) {
        // A free slot: the pair is new.
        ids[slot] = id;
        versions[slot] = stamp;
        return true;
      }
      if (version === stamp && ids[slot] === id) return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    const versions = new Float64Array(this.ids.length * 2).fill(FREE);
    for (let slot = 0; slot < this.ids.length; slot++) {
      const version = this.versions[slot]!;
      if (!Number.isNaN(version)) FactVersions.insert(ids, versions, this.ids[slot]!, version);
    }
    this.ids = ids;
    this.versions = versions;
  }
}
