/**
 * A split unit's payments, by group: which processed manifest each dim_transaction row travels
 * with (the first group, in manifest order, whose payments reference it). A unit of payments
 * references up to 500,000 transactions, so the pairs are kept as numbers in one growing
 * Float64Array, sorted once, and looked up by binary search: no Map entry per payment (that was
 * about 2% of the transform of a scale-10 unit).
 */

/** Groups are below this; a pair is `transactionId * GROUP_SPAN + group`, exact in a double. */
const GROUP_SPAN = 2 ** 20;

export class TransactionGroups {
  private pairs = new Float64Array(1024);
  private size = 0;
  private sorted = true;

  /** Payments of `group` reference `transactionId` (a 32-bit integer). */
  add(transactionId: number, group: number): void {
    if (!Number.isInteger(group) || group < 1 || group >= GROUP_SPAN)
      throw new RangeError(`group ${group} is not between 1 and ${GROUP_SPAN - 1}`);
    if (this.size === this.pairs.length) {
      const grown = new Float64Array(Math.max(1024, this.pairs.length * 2));
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.size++] = transactionId * GROUP_SPAN + group;
    this.sorted = false;
  }

  /** The first (lowest) group whose payments reference `transactionId`, or undefined. */
  groupOf(transactionId: number): number | undefined {
    if (!this.sorted) {
      this.pairs = this.pairs.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const lowest = transactionId * GROUP_SPAN;
    // The first pair at or above (transactionId, 0): the lowest group of that id, if it has one.
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.pairs[middle]! < lowest) low = middle + 1;
      else high = middle;
    }
    const pair = this.pairs[low];
    return pair !== undefined && low < this.size && pair < lowest + GROUP_SPAN ? pair - lowest : undefined;
  }
}
