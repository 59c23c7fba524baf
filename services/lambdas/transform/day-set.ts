/**
 * The days a unit's facts reference (for dim_date), as a bitmap over every day a 'YYYY-MM-DD' with
 * a four-digit year can name (0000-01-01 … 9999-12-31: 3.65 million bits, 457 KB), so each of the
 * several dates of every fact row is one bit set, not a hash lookup in a Set. A day outside that
 * range (none is validated) still counts, in a Set beside it.
 */
import { civilToDays } from '../../../shared/schema/value-kinds.ts';

const FIRST_DAY = civilToDays(0, 1, 1);
const LAST_DAY = civilToDays(9999, 12, 31);

export class DaySet {
  private readonly bits = new Uint32Array(Math.ceil((LAST_DAY - FIRST_DAY + 1) / 32));
  private readonly outside = new Set<number>();

  /** Adds `days` (days since 1970, an integer). */
  add(days: number): void {
    const bit = days - FIRST_DAY;
    if (bit >= 0 && days <= LAST_DAY) this.bits[bit >>> 5] = this.bits[bit >>> 5]! | (1 << (bit & 31));
    else this.outside.add(days);
  }

  /** Every day added, ascending. */
  sorted(): Int32Array {
    const days: number[] = [...this.outside];
    for (let word = 0; word < this.bits.length; word++) {
      let bits = this.bits[word]!;
      while (bits !== 0) {
        const low = bits & -bits;
        days.push(FIRST_DAY + word * 32 + 31 - Math.clz32(low));
        bits ^= low;
      }
    }
    return Int32Array.from(days).sort();
  }
}
