/**
 * Work the load does on its own CPU while the database works on the statement before: the
 * decoding of Parquet slices and the building of each chunk's statement (its rows checked, its
 * array literals written). In a fresh Lambda that work is as long as the database's merge of a
 * chunk (about 50 ms for 5,000 fact rows each), so doing one after the other left each side idle
 * half the time.
 */
import type { Row, RowSource } from './apply.ts';

/** A table's rows whose first batch can be decoded before the table's turn (`prime`). */
export interface PrimedSource {
  readonly source: RowSource;
  /** Starts decoding the first batch now (once); its errors surface when the table is read. */
  prime(): void;
}

export function primeable(source: RowSource): PrimedSource {
  if (!(Symbol.asyncIterator in source)) return { source, prime: () => {} };
  const iterator = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<readonly Row[]>> | undefined;
  const prime = () => {
    if (first) return;
    first = iterator.next();
    // Read later, or never if the unit fails before this table: not an unhandled rejection.
    first.catch(() => undefined);
  };
  return {
    prime,
    source: {
      async *[Symbol.asyncIterator]() {
        prime();
        for (let batch = await (first as Promise<IteratorResult<readonly Row[]>>); !batch.done; ) {
          yield batch.value;
          batch = await iterator.next();
        }
      },
    },
  };
}

/** Yields to the event loop's next turn: after the query just sent has reached its socket. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `run` on each item of `items` in order, one at a time, preparing the next item
 * (`prepare`) while the current one runs. The next is taken only on the event loop's next turn,
 * so the current statement is on its way to the database before the CPU-bound preparation starts.
 * `onEnd` is called once the items are exhausted, while the last one still runs.
 */
export async function runAhead<T, P, R>(
  items: AsyncIterator<T>,
  prepare: (item: T) => P,
  run: (prepared: P, item: T) => Promise<R>,
  onEnd: () => void = () => {},
): Promise<void> {
  const take = async (): Promise<{ item: T; prepared: P } | undefined> => {
    const next = await items.next();
    if (next.done) {
      onEnd();
      return undefined;
    }
    return { item: next.value, prepared: prepare(next.value) };
  };
  let upcoming = take();
  for (let current = await upcoming; current; current = await upcoming) {
    const running = run(current.prepared, current.item);
    upcoming = nextTurn().then(take);
    // If `running` fails, `upcoming` is never awaited: its own failure must not go unhandled.
    upcoming.catch(() => undefined);
    await running;
  }
}
