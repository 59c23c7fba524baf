/**
 * Closes the LevelDB iterators dynalite opens for every Query and Scan (issue 19 item 10).
 *
 * dynalite 4.0.0 (db/index.js, `createKeyStream`/`createValueStream`) wraps an abstract-level 3
 * iterator (`db.keys()`/`db.values()`) in a Readable and, when the stream is destroyed (at its end,
 * or when a Query's Limit or the 1 MB page stops reading early), calls `iterator.return()` if there
 * is one, as for a JavaScript async iterator. abstract-level's iterators have no `return`: they are
 * released by `close()` only, and until then the database keeps each one in its set of open
 * resources. So every Query and Scan left its iterator open for the life of the process: on
 * LevelDB (classic-level, the state folder of `npm start`) a native iterator with its read
 * snapshot and its read-ahead buffer, about 64 KB of malloc'd memory in use per Query of a
 * 20-item partition and ~3 KB of JavaScript heap; on memory-level (the in-memory tests) the heap
 * part. This was the native memory that grew by ~1.15 MB a minute in a long `npm start`.
 *
 * The fix from our side: give abstract-level's iterator classes the `return()` dynalite calls,
 * closing the iterator, so dynalite's own destroy path releases it. Installed once per process, on
 * the copy of abstract-level that dynalite's `level` resolves, and only where abstract-level does
 * not define `return` itself (a later version that does is left alone).
 */
import { createRequire } from 'node:module';

interface Closable {
  close(): Promise<void>;
}

interface IteratorClass {
  prototype: Partial<Closable> & { return?: unknown };
}

type AbstractLevelModule = Record<
  'AbstractIterator' | 'AbstractKeyIterator' | 'AbstractValueIterator',
  IteratorClass
>;

const installed = new WeakSet<object>();

/** The abstract-level that dynalite's databases are built on (dynalite → level/memory-level → abstract-level). */
function dynalitesAbstractLevel(): AbstractLevelModule {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const fromLevel = createRequire(fromDynalite.resolve('level'));
  return fromLevel('abstract-level') as AbstractLevelModule;
}

/**
 * `iterator.return()` closes the iterator, as the async iterator protocol's `return` ends one;
 * resolves to `{ done: true, value }`. Idempotent (abstract-level's `close()` is). Returns how many
 * iterator classes it gave a `return` to (0 when already installed or abstract-level has its own).
 */
export function installLevelIteratorReturn(
  abstractLevel: AbstractLevelModule = dynalitesAbstractLevel(),
): number {
  let count = 0;
  for (const cls of [
    abstractLevel.AbstractIterator,
    abstractLevel.AbstractKeyIterator,
    abstractLevel.AbstractValueIterator,
  ]) {
    const proto = cls.prototype;
    if (installed.has(proto) || typeof proto.close !== 'function' || 'return' in proto) continue;
    Object.defineProperty(proto, 'return', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: async function (this: Closable, value?: unknown) {
        await this.close();
        return { done: true, value };
      },
    });
    installed.add(proto);
    count++;
  }
  return count;
}
