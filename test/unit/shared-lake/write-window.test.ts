import { describe, expect, test } from '@jest/globals';
import { WriteWindow } from '../../../shared/lake/write-window.ts';

/** A write the test finishes (or fails) by hand. */
function manualWrite() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  let started = false;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    write: () => {
      started = true;
      return done;
    },
    get started() {
      return started;
    },
    finish,
    fail,
  };
}

/** Lets every settled promise's callbacks run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WriteWindow', () => {
  test('at most maxCount writes run at once; the next starts when one ends', async () => {
    const window = new WriteWindow({ maxCount: 2, maxBytes: 1_000 });
    const writes = [manualWrite(), manualWrite(), manualWrite()];
    await window.add(1, writes[0]!.write);
    await window.add(1, writes[1]!.write);
    let thirdHandedOver = false;
    const third = window.add(1, writes[2]!.write).then(() => {
      thirdHandedOver = true;
    });
    await turn();
    expect(window.inFlight).toBe(2);
    expect(writes[2]!.started).toBe(false);
    expect(thirdHandedOver).toBe(false);
    writes[1]!.finish();
    await third;
    await turn();
    expect(writes[2]!.started).toBe(true);
    expect(window.inFlight).toBe(2);
    writes[0]!.finish();
    writes[2]!.finish();
    await window.drain();
    expect(window.inFlight).toBe(0);
  });

  test('bytes in flight stay under maxBytes; one write larger than maxBytes runs alone', async () => {
    const window = new WriteWindow({ maxCount: 10, maxBytes: 100 });
    const [a, b, big] = [manualWrite(), manualWrite(), manualWrite()];
    await window.add(60, a.write);
    const second = window.add(60, b.write);
    await turn();
    expect(b.started).toBe(false); // 120 bytes would exceed 100
    a.finish();
    await second;
    await turn();
    expect(b.started).toBe(true);
    const third = window.add(500, big.write);
    await turn();
    expect(big.started).toBe(false); // waits until the window is empty
    b.finish();
    await third;
    await turn();
    expect(big.started).toBe(true);
    expect(window.inFlight).toBe(1);
    big.finish();
    await window.drain();
  });

  test('a failed write is thrown by drain, after every other write has settled', async () => {
    const window = new WriteWindow({ maxCount: 3, maxBytes: 1_000 });
    const [a, b] = [manualWrite(), manualWrite()];
    await window.add(1, a.write);
    await window.add(1, b.write);
    a.fail(new Error('S3 unavailable'));
    let drained = false;
    const draining = window.drain().finally(() => {
      drained = true;
    });
    await turn();
    expect(drained).toBe(false); // b is still running
    b.finish();
    await expect(draining).rejects.toThrow('S3 unavailable');
    expect(window.inFlight).toBe(0);
  });

  test('after a failure no further write starts: add throws the failure', async () => {
    const window = new WriteWindow({ maxCount: 1, maxBytes: 1_000 });
    const [a, b] = [manualWrite(), manualWrite()];
    await window.add(1, a.write);
    const waiting = window.add(1, b.write);
    a.fail(new Error('first PUT failed'));
    await expect(waiting).rejects.toThrow('first PUT failed');
    expect(b.started).toBe(false);
    await expect(window.add(1, b.write)).rejects.toThrow('first PUT failed');
    await window.settle(); // never throws
    await expect(window.drain()).rejects.toThrow('first PUT failed');
  });

  test('a write that throws synchronously fails the window like a rejected one', async () => {
    const window = new WriteWindow({ maxCount: 2, maxBytes: 1_000 });
    await window.add(1, () => {
      throw new Error('bad request');
    });
    await expect(window.drain()).rejects.toThrow('bad request');
  });

  test('limits are checked', () => {
    expect(() => new WriteWindow({ maxCount: 0, maxBytes: 1 })).toThrow(RangeError);
    expect(() => new WriteWindow({ maxCount: 1, maxBytes: 0 })).toThrow(RangeError);
  });
});
