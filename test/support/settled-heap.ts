/**
 * The JS heap in use after full collections, for the memory tests' child processes (run with
 * `node --expose-gc`). Two collections: the first may only queue finalizers (WeakRefs,
 * FinalizationRegistry), whose objects the second frees.
 */
const gc = (globalThis as { gc?: () => void }).gc;

export function settledHeap(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
