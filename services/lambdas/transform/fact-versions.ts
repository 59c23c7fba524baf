/**
 * The fact versions (natural id, last_updated) a unit has emitted, so a version met twice (in two
 * parts of the unit) is emitted once. A unit holds up to 500,000 fact rows, so the pairs are kept
 * as numbers in an open-addressing hash table over one typed array (the id and the version as its
 * ms since 1970), not a Map entry holding each version's text: that was a hash entry, a
 * boxed or string value per fact row, promoted to the old space and swept by its Mark-Compacts.
 */
import { firstSlot } from './id-slots.ts';

/** A free slot holds NaN as its version (no version is NaN). */
const FREE = Number.NaN;
const FIRST_CAPACITY = 1024;

export class FactVersions {
  /** Slot i: id at 2i, version at 2i + 1 (one cache line holds both). */
  private slots = FactVersions.table(FIRST_CAPACITY);
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
    if ((this.size + 1) * 4 > this.slots.length) this.grow();
    const inserted = FactVersions.insert(this.slots, id, stamp);
    if (inserted) this.size += 1;
    return inserted;
  }

  private static table(capacity: number): Float64Array {
    return new Float64Array(capacity * 2).fill(FREE);
  }

  private static insert(slots: Float64Array, id: number, stamp: number): boolean {
    const mask = (slots.length >> 1) - 1;
    let slot = firstSlot(id, mask); // an id's other versions take the next free slots
    for (;;) {
      const version = slots[2 * slot + 1]!;
      if (Number.isNaN(version)) {
        slots[2 * slot] = id;
        slots[2 * slot + 1] = stamp;
        return true;
      }
      if (version === stamp && slots[2 * slot] === id) return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const slots = FactVersions.table(old.length);
    for (let at = 0; at < old.length; at += 2) {
      const version = old[at + 1]!;
      if (!Number.isNaN(version)) FactVersions.insert(slots, old[at]!, version);
    }
    this.slots = slots;
  }
}
