/**
 * Child process of s3-object-heap.test.ts, started with `--expose-gc`: fills the S3 stand-in's
 * on-disk store (the one `npm start` uses) with N objects named like the lake's, and reports the
 * heap retained per object after a forced GC — once as written by PutObject, once as loaded by a
 * fresh store from the same folder (a restart of `npm start` on a grown lake).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Disk } from '../../../services/tools/local-runtime/aws/s3-disk.ts';
import { LocalS3Store } from '../../../services/tools/local-runtime/aws/s3-store.ts';
import { measurementConfig, reportToParent } from '../../support/measurement-child.ts';
import { settledHeap } from '../../support/settled-heap.ts';

export interface S3ObjectHeapConfig {
  readonly warmup: number;
  readonly objects: number;
}

export interface S3ObjectHeap {
  readonly objects: number;
  /** Heap retained per object after PutObject of each (bytes). */
  readonly bytesPerPutObject: number;
  /** Heap retained per object by a store that loaded the folder (bytes). */
  readonly bytesPerLoadedObject: number;
}

const BUCKET = 'totes-processed';
// A lake key as the pipeline writes them (shared/lake/keys.ts), unique per object.
const lakeKey = (i: number) =>
  `units/2026/11/30/20261130T${String(i).padStart(9, '0')}Z-374477c5/fact_sales_order.0001.parquet`;
const BODY = Buffer.alloc(64, 1);

function main(config: S3ObjectHeapConfig): S3ObjectHeap {
  // tmpfs when there is one: the fsyncs of 2 files per object are not what is measured here.
  const root = mkdtempSync(path.join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 's3-heap-'));
  try {
    const stateDir = path.join(root, 'state');
    const tmp = path.join(root, 'tmp');
    const store = new LocalS3Store(new S3Disk(stateDir, tmp));
    store.load();
    store.createBucket(BUCKET);
    const put = (i: number) =>
      store.putObject(BUCKET, lakeKey(i), BODY, 'application/vnd.apache.parquet', {});
    // Warm-up: JIT code and the store's bounded caches fill before the first measurement.
    for (let i = 0; i < config.warmup; i++) put(i);
    const beforePuts = settledHeap();
    for (let i = config.warmup; i < config.warmup + config.objects; i++) put(i);
    const afterPuts = settledHeap();

    // A restart: a fresh store loads all warmup + objects from the folder.
    const emptyHeap = settledHeap();
    const reloaded = new LocalS3Store(new S3Disk(stateDir, tmp));
    reloaded.load();
    const afterLoad = settledHeap();
    // Both stores stay reachable until the measurements are taken.
    if (store.hasBucket(BUCKET) !== reloaded.hasBucket(BUCKET)) throw new Error('stores disagree');
    return {
      objects: config.objects,
      bytesPerPutObject: (afterPuts - beforePuts) / config.objects,
      bytesPerLoadedObject: (afterLoad - emptyHeap) / (config.warmup + config.objects),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

reportToParent(() => main(measurementConfig<S3ObjectHeapConfig>()));
