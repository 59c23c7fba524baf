/**
 * Streaming building blocks: keyset paging of a query and a merge join of two id-sorted streams of
 * pages, so that a comparison holds about two pages per side in memory whatever the table size.
 * Rows are handled synchronously within a page (an await per row would cost more than the rows).
 */

export interface Keyed {
  readonly id: number;
}

/**
 * Yields successive pages; `fetch(after)` returns the rows with id > after (all rows when after is
 * null), ordered by id, at most `limit` of them. The next page is requested as soon as the current
 * one arrives, so the two sides of a merge overlap their round trips.
 */
export async function* keysetPages<R extends Keyed>(
  fetch: (after: number | null) => Promise<readonly R[]>,
  limit: number,
): AsyncGenerator<readonly R[]> {
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
    for (let i = 1; i < rows.length; i++) {
      if (rows[i - 1]!.id >= rows[i]!.id)
        throw new Error(`page not strictly ordered by id at ${rows[i]!.id}`);
    }
    if (rows.length > 0) yield rows;
  }
}

/** A read position in a stream of pages. */
class Cursor<T extends Keyed> {
  readonly #pages: AsyncIterator<readonly T[]>;
  #page: readonly T[] = [];
  #index = 0;
  #done = false;
  #lastId = Number.NEGATIVE_INFINITY;

  constructor(pages: AsyncIterable<readonly T[]>) {
    this.#pages = pages[Symbol.asyncIterator]();
  }

  /** Loads the next non-empty page when the current one is used up. */
  async fill(): Promise<void> {
    while (!this.#done && this.#index >= this.#page.length) {
      const next = await this.#pages.next();
      if (next.done) this.#done = true;
      else {
        this.#page = next.value;
        this.#index = 0;
      }
    }
  }

  get current(): T | undefined {
    return this.#index < this.#page.length ? this.#page[this.#index] : undefined;
  }

  /** Moves on; returns a promise only when a new page has to be fetched. */
  advance(): Promise<void> | undefined {
    const row = this.#page[this.#index]!;
    if (row.id <= this.#lastId) throw new Error(`stream not strictly ordered by id at ${row.id}`);
    this.#lastId = row.id;
    this.#index += 1;
    return this.#index >= this.#page.length ? this.fill() : undefined;
  }
}

/**
 * Full outer merge join of two streams of pages sorted by ascending unique id: calls `visit` once
 * per id with the row of each side that has it. `visit` may return a promise (awaited in order).
 */
export async function mergeById<L extends Keyed, R extends Keyed>(
  left: AsyncIterable<readonly L[]>,
  right: AsyncIterable<readonly R[]>,
  visit: (id: number, left: L | undefined, right: R | undefined) => void | Promise<void>,
): Promise<void> {
  const l = new Cursor(left);
  const r = new Cursor(right);
  await Promise.all([l.fill(), r.fill()]);
  for (;;) {
    const a = l.current;
    const b = r.current;
    if (a === undefined && b === undefined) return;
    let visited: void | Promise<void>;
    let moved: Promise<unknown> | undefined;
    if (b === undefined || (a !== undefined && a.id < b.id)) {
      visited = visit(a!.id, a, undefined);
      if (visited) await visited;
      moved = l.advance();
    } else if (a === undefined || b.id < a.id) {
      visited = visit(b.id, undefined, b);
      if (visited) await visited;
      moved = r.advance();
    } else {
      visited = visit(a.id, a, b);
      if (visited) await visited;
      const pl = l.advance();
      const pr = r.advance();
      moved = pl || pr ? Promise.all([pl, pr]) : undefined;
    }
    if (moved) await moved;
  }
}
