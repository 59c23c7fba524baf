/**
 * Issue 19 item 10: the S3 stand-in of `npm start` must not hold each lake object's metadata in
 * memory (the lake grows for as long as the stack runs). Its store keeps per object only the key
 * and a two-field record; the rest is read from the object's sidecar on disk.
 *
 * Measured with s3-object-heap-run.ts (a child with --expose-gc, heap after a forced GC), 5,000
 * objects with lake-like keys of ~90 characters: a record holding the metadata retained 1,279
 * bytes per object after PutObject and 1,330 per object loaded from disk; the key-only record
 * retains 195 and 192 (the key string itself is ~110 of them). The bound, 400 bytes, fails the
 * first and passes the second with room for V8's noise.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from '@jest/globals';
import { killMeasurementChildren, runMeasurementChild } from '../../support/measurement-child.ts';
import type { S3ObjectHeap, S3ObjectHeapConfig } from './s3-object-heap-run.ts';

const RUNNER = fileURLToPath(new URL('./s3-object-heap-run.ts', import.meta.url));
const MAX_BYTES_PER_OBJECT = 400;

afterAll(killMeasurementChildren);

const measure = (config: S3ObjectHeapConfig) => runMeasurementChild<S3ObjectHeap>(RUNNER, config);

test('the S3 stand-in retains a bounded few hundred bytes per stored object, written or loaded', async () => {
  const result = await measure({ warmup: 500, objects: 5_000 });
  process.stderr.write(
    `s3 stand-in heap per object: ${result.bytesPerPutObject.toFixed(0)} B after PutObject, ${result.bytesPerLoadedObject.toFixed(0)} B loaded from disk (${result.objects} objects)\n`,
  );
  expect({
    putWithinBound: result.bytesPerPutObject < MAX_BYTES_PER_OBJECT,
    loadedWithinBound: result.bytesPerLoadedObject < MAX_BYTES_PER_OBJECT,
  }).toEqual({ putWithinBound: true, loadedWithinBound: true });
});
