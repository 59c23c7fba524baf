/**
 * A versioned dimension's rows kept so far in a unit, by id (a 32-bit integer). dim_transaction
 * has a row per transaction of the unit (up to 500,000), so the id → row index is an
 * open-addressing hash table over one Int32Array (./id-slots.ts), the rows one array beside it:
 * not a Map, whose entries and rehashes as it grows were a measurable share of the derivation.
 */
import type { ParquetRow } from '../../../shared/parquet/index.ts';
import { firstSlot } from './id-slots.ts';

const FIRST_CAPACITY = 256;
/** A free slot's row index. */
const FREE = -1;

export class DimensionRows {
  /** Slot i: id at 2i, the index of its row in `rows` at 2i + 1 (FREE: no id). */
  private slots = DimensionRows.table(FIRST_CAPACITY);
  private readonly ids: number[] = [];
  private readonly rows: ParquetRow[] = [];

  get size(): number {
    return this.rows.length;
  }

  /** The row kept for `id`, if any. */
  get(id: number): ParquetRow | undefined {
    const slot = this.find(id);
    const index = this.slots[2 * slot + 1]!;
    return index === FREE ? undefined : this.rows[index];
  }

  /** Keeps `row` for `id` (replacing the row kept before, if any). */
  set(id: number, row: ParquetRow): void {
    let slot = this.find(id);
    const index = this.slots[2 * slot + 1]!;
    if (index !== FREE) {
      this.rows[index] = row;
      return;
    }
    if ((this.rows.length + 1) * 4 > this.slots.length) {
      this.grow();
      slot = this.find(id);
    }
    this.slots[2 * slot] = id;
    this.slots[2 * slot + 1] = this.rows.length;
    this.ids.push(id);
    this.rows.push(row);
  }

  /** Every row kept, by id ascending. */
  sortedById(): ParquetRow[] {
    const ids = Int32Array.from(this.ids).sort();
    const rows = new Array<ParquetRow>(ids.length);
    for (let i = 0; i < ids.length; i++) rows[i] = this.get(ids[i]!)!;
    return rows;
  }

  private static table(capacity: number): Int32Array {
    return new Int32Array(capacity * 2).fill(FREE);
  }

  /** The slot holding `id`, or the free slot where it would go. */
  private find(id: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = firstSlot(id, mask);
    for (;;) {
      if (slots[2 * slot + 1] === FREE || slots[2 * slot] === id) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    this.slots = DimensionRows.table(this.slots.length);
    for (let index = 0; index < this.ids.length; index++) {
      const slot = this.find(this.ids[index]!);
      this.slots[2 * slot] = this.ids[index]!;
      this.slots[2 * slot + 1] = index;
    }
  }
}
