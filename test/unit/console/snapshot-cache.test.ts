import { SnapshotCache } from '../../../services/tools/console/snapshot-cache.ts';

describe('SnapshotCache (stale-while-revalidate)', () => {
  let now = 0;
  const cache = () => new SnapshotCache<number>({ freshMs: 1000, staleMs: 10_000, now: () => now });

  it('serves fresh values, serves stale ones while one refresh runs, waits when too old', async () => {
    now = 0;
    const c = cache();
    let reads = 0;
    let release: (() => void) | undefined;
    const load = () => {
      reads++;
      const n = reads;
      return new Promise<number>((resolve) => {
        release = () => resolve(n);
      });
    };
    const first = c.get('k', load);
    release?.();
    await expect(first).resolves.toBe(1);
    now = 500;
    await expect(c.get('k', load)).resolves.toBe(1); // fresh
    expect(reads).toBe(1);
    now = 2000;
    await expect(c.get('k', load)).resolves.toBe(1); // stale, a refresh starts
    await expect(c.get('k', load)).resolves.toBe(1); // still stale, no second refresh
    expect(reads).toBe(2);
    release?.();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(c.get('k', load)).resolves.toBe(2); // the refreshed value, fresh again
    now = 20_000;
    const waited = c.get('k', load); // too old: waits for the read
    expect(reads).toBe(3);
    release?.();
    await expect(waited).resolves.toBe(3);
  });

  it('never keeps a failed read', async () => {
    now = 0;
    const c = cache();
    await expect(c.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(c.get('k', () => Promise.resolve(7))).resolves.toBe(7);
  });
});
