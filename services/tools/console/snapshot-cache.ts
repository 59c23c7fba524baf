/**
 * Stale-while-revalidate for the console's reads. Several open pages poll the same numbers, and a
 * page should paint at once: a value younger than `freshMs` is served as is; one younger than
 * `staleMs` is served too while one refresh runs behind it (every page says when its numbers are
 * from, and its next refresh shows the new ones); anything older, or nothing yet, is waited for.
 * A failed read is never kept: the next request tries again.
 */

interface Entry<T> {
  at: number;
  value: T | undefined;
  pending: Promise<T> | undefined;
}

export class SnapshotCache<T> {
  readonly #freshMs: number;
  readonly #staleMs: number;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #now: () => number;

  constructor(options: { freshMs: number; staleMs: number; now?: () => number }) {
    this.#freshMs = options.freshMs;
    this.#staleMs = options.staleMs;
    this.#now = options.now ?? Date.now;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { at: 0, value: undefined, pending: undefined };
      this.#entries.set(key, entry);
    }
    const age = now - entry.at;
    if (entry.value !== undefined && age < this.#freshMs) return Promise.resolve(entry.value);
    const refresh = this.#refresh(entry, load);
    if (entry.value !== undefined && age < this.#staleMs) {
      refresh.catch(() => {}); // served stale; the error shows on a request that waits
      return Promise.resolve(entry.value);
    }
    return refresh;
  }

  #refresh(entry: Entry<T>, load: () => Promise<T>): Promise<T> {
    entry.pending ??= load().then(
      (value) => {
        entry.at = this.#now();
        entry.value = value;
        entry.pending = undefined;
        return value;
      },
      (error: unknown) => {
        entry.pending = undefined;
        throw error;
      },
    );
    return entry.pending;
  }
}
