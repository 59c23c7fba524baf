/**
 * ZSTD pages through Node's native zstd (`node:zlib`, Node ≥ 22.15; our runtime and the Lambda
 * runtime nodejs24.x have it). It replaced our JavaScript snappy: native code needs no JIT warm-up
 * (at scale 1 the transform runs mostly cold), and the pages come out smaller (the pages of a
 * scale-10 unit: 10.3 MB through snappy, 7.8 MB through zstd level 1).
 *
 * Level 1: on those pages level 3 took about 40 % more CPU and was not smaller (7.79 vs 7.76 MB,
 * the "saves at least 10 %" rule keeps the same chunks compressed).
 */
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';

const COMPRESS_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };

/** The zstd frame of `page` (level 1). */
export function zstdCompress(page: Uint8Array): Uint8Array {
  return zstdCompressSync(page, COMPRESS_OPTIONS);
}

/**
 * The page of a zstd frame whose page header says it is `outputLength` bytes (hyparquet's
 * `compressors` signature); a frame that would inflate beyond that is refused, not allocated.
 */
export function zstdDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  return zstdDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) });
}
