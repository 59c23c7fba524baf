/**
 * Streaming building blocks: keyset paging of a query and a merge join of two id-sorted streams,
 * so that a comparison holds about two pages per side in memory whatever the table size.
 */

export interface Keyed {
  readonly id: number;
}

/**
 * Yields the rows of successive pages; `fetch(after)` returns the rows with id > after (all rows
 * when after is null), ordered by id, at most `limit` of them. The next page is requested as soon
 * as the current one arrives, so the two sides of a merge overlap their round trips.
 */
export async function* keysetPages<R extends Keyed>(
  fetch: (after: number | null) => Promise<readonly R[]>,
  limit: number,
): AsyncGenerator<R> {
  let pending: Promise<readonly R[]> | null = fetch(null);
  while (pending) {
    const rows: readonly R[] = await pending;
    pending = null;
    const last = rows.at(-1);
    if (rows.length >= limit && last) {
      pending = fetch(last.id);
      // Observed here so an early exit by the consumer cannot leave an unhandled rejection;
      // the loop still awaits (and rethrows) it.
      pending.catch(() => {});
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (i > 0 && rows[i - 1]!.id >= row.id) throw new Error(`page not strictly ordered by id at ${row.id}`);
      yield row;
    }
  }
}

export interface Joined<L, R> {
  readonly id: number;
  readonly left?: L;
  readonly right?: R;
}

/** Full outer merge join of two streams sorted by ascending unique id. */
export async function* mergeById<L extends Keyed, R extends Keyed>(
  left: AsyncIterable<L>,
  right: AsyncIterable<R>,
): AsyncGenerator<Joined<L, R>> {
  const l = left[Symbol.asyncIterator]();
  const r = right[Symbol.asyncIterator]();
  let a = await l.next();
  let b = await r.next();
  while (!a.done || !b.done) {
    if (b.done || (!a.done && a.value.id < b.value.id)) {
      const value = a.value as L;
      yield { id: value.id, left: value };
      a = await l.next();
    } else if (a.done || b.value.id < a.value.id) {
      yield { id: b.value.id, right: b.value };
      b = await r.next();
    } else {
      yield { id: a.value.id, left: a.value, right: b.value };
      [a, b] = await Promise.all([l.next(), r.next()]);
    }
  }
}
