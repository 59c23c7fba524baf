import type { Row } from '../../../services/lambdas/load/apply.ts';
import { primeable, runAhead } from '../../../services/lambdas/load/read-ahead.ts';

async function* from<T>(items: readonly T[], log?: string[]): AsyncGenerator<T> {
  for (const item of items) {
    log?.push(`take ${String(item)}`);
    yield item;
  }
}

/** A promise with its resolve/reject in hand. */
function deferred<T = undefined>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('runAhead', () => {
  it('runs the items in order, one at a time, preparing the next while the current one runs', async () => {
    const log: string[] = [];
    const running = new Map<number, ReturnType<typeof deferred<undefined>>>();
    const done = runAhead(
      from([1, 2, 3], log),
      (n) => {
        log.push(`prepare ${n}`);
        return n * 10;
      },
      async (prepared, n) => {
        log.push(`run ${prepared}`);
        const d = deferred();
        running.set(n, d);
        // A driver's few awaits before the statement reaches its socket: the next item's
        // CPU-bound preparation must not delay them.
        for (let i = 0; i < 5; i++) await Promise.resolve();
        log.push(`sent ${prepared}`);
        await d.promise;
      },
      () => log.push('end'),
    );
    const until = async (what: string) => {
      for (let turn = 0; !log.includes(what); turn++) {
        if (turn > 100) throw new Error(`never reached "${what}": ${log.join(', ')}`);
        await new Promise((r) => setImmediate(r));
      }
    };
    await until('prepare 2');
    // Item 2 is prepared while item 1 still runs, and does not run before item 1 has finished.
    expect(log).toEqual(['take 1', 'prepare 1', 'run 10', 'sent 10', 'take 2', 'prepare 2']);
    running.get(1)?.resolve(undefined);
    await until('prepare 3');
    expect(log.slice(6)).toEqual(['run 20', 'sent 20', 'take 3', 'prepare 3']);
    running.get(2)?.resolve(undefined);
    // The items are exhausted while the last one still runs: `end` comes before it finishes.
    await until('end');
    expect(log.slice(10)).toEqual(['run 30', 'sent 30', 'end']);
    running.get(3)?.resolve(undefined);
    await done;
  });

  it('fails with the running item’s error; the next item’s failure is not left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const items = (async function* () {
        yield 1;
        throw new Error('second item unreadable');
      })();
      await expect(
        runAhead(
          items,
          (n) => n,
          async () => {
            await new Promise((r) => setTimeout(r, 20));
            throw new Error('statement failed');
          },
        ),
      ).rejects.toThrow('statement failed');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fails with the preparation’s error, after the item before it has run', async () => {
    const ran: number[] = [];
    await expect(
      runAhead(
        from([1, 2]),
        (n) => {
          if (n === 2) throw new Error('row 2 is not a date');
          return n;
        },
        async (n) => {
          ran.push(n);
        },
      ),
    ).rejects.toThrow('row 2 is not a date');
    expect(ran).toEqual([1]);
  });

  it('runs nothing for no items, and still ends', async () => {
    const ends: number[] = [];
    await runAhead(
      from([]),
      (n) => n,
      async () => {
        throw new Error('never');
      },
      () => ends.push(1),
    );
    expect(ends).toEqual([1]);
  });
});

describe('primeable', () => {
  const batch = (n: number): readonly Row[] => [{ n }];

  it('decodes the first batch once, when primed, and yields every batch in order afterwards', async () => {
    const pulled: number[] = [];
    const source = (async function* () {
      for (const n of [1, 2, 3]) {
        pulled.push(n);
        yield batch(n);
      }
    })();
    const primed = primeable(source);
    expect(pulled).toEqual([]);
    primed.prime();
    primed.prime();
    await new Promise((r) => setImmediate(r));
    expect(pulled).toEqual([1]);
    const seen: unknown[] = [];
    for await (const rows of primed.source as AsyncIterable<readonly Row[]>) seen.push(rows[0]?.n);
    expect(seen).toEqual([1, 2, 3]);
    expect(pulled).toEqual([1, 2, 3]);
  });

  it('reads unprimed sources from the start, and an error of a primed batch surfaces when read', async () => {
    const plain = primeable(
      (async function* () {
        yield batch(7);
      })(),
    );
    const seen: unknown[] = [];
    for await (const rows of plain.source as AsyncIterable<readonly Row[]>) seen.push(rows[0]?.n);
    expect(seen).toEqual([7]);

    const broken = primeable(
      // biome-ignore lint/correctness/useYield: a source whose first batch fails to decode
      (async function* (): AsyncGenerator<readonly Row[]> {
        throw new Error('not a Parquet file');
      })(),
    );
    broken.prime();
    await new Promise((r) => setTimeout(r, 10));
    const reading = (async () => {
      for await (const _ of broken.source as AsyncIterable<readonly Row[]>);
    })();
    await expect(reading).rejects.toThrow('not a Parquet file');
  });

  it('passes in-memory rows through as they are', () => {
    const rows: Row[] = [{ n: 1 }];
    const primed = primeable(rows);
    primed.prime();
    expect(primed.source).toBe(rows);
  });
});
