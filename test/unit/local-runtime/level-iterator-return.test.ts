/**
 * The `return()` given to abstract-level's iterators so dynalite's query streams close them
 * (services/tools/local-runtime/aws/level-iterator-return.ts; the memory it saves is measured in
 * test/integration/memory/dynalite-query-native.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from '@jest/globals';
import { installLevelIteratorReturn } from '../../../services/tools/local-runtime/aws/level-iterator-return.ts';

// dynalite's in-memory database (memory-level), from dynalite's own dependencies.
const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { MemoryLevel } = requireFromDynalite('memory-level') as typeof import('memory-level');

class FakeIterator {
  closed = 0;
  async close(): Promise<void> {
    this.closed++;
  }
}
class OwnReturn extends FakeIterator {
  async return(): Promise<string> {
    return 'own';
  }
}

function fakeModule() {
  return { AbstractIterator: FakeIterator, AbstractKeyIterator: OwnReturn, AbstractValueIterator: class {} };
}

describe('installLevelIteratorReturn', () => {
  test('return() closes the iterator and ends it, once per class; an existing return is kept', async () => {
    const mod = fakeModule();
    expect(installLevelIteratorReturn(mod as never)).toBe(1);
    expect(installLevelIteratorReturn(mod as never)).toBe(0);
    const it = new FakeIterator() as FakeIterator & { return(v?: unknown): Promise<unknown> };
    await expect(it.return('x')).resolves.toEqual({ done: true, value: 'x' });
    expect(it.closed).toBe(1);
    await expect(new OwnReturn().return()).resolves.toBe('own');
  });

  test("dynalite's abstract-level: a values() iterator closed through return() is closed", async () => {
    installLevelIteratorReturn();
    const db = new MemoryLevel();
    await db.put('a', '1');
    const it = db.values() as unknown as { next(): Promise<unknown>; return(): Promise<unknown> };
    await expect(it.next()).resolves.toBe('1');
    await expect(it.return()).resolves.toEqual({ done: true, value: undefined });
    await expect(it.next()).rejects.toMatchObject({ code: 'LEVEL_ITERATOR_NOT_OPEN' });
    await db.close();
  });
});
