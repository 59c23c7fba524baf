import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isManifestKey, isNotFound } from '../../../../shared/lake/index.ts';

/**
 * The processed lake as the rebuild reads it: through the S3 API only (the local stand-in and AWS
 * alike), so the local path and `--aws` share every line. Listing is streamed page by page
 * (ListObjectsV2, 1,000 keys a page): nothing but the current page is held, whatever the lake's
 * size.
 */

/** Where every unit's objects live (shared/lake/keys.ts). */
const UNITS_PREFIX = 'units/';

/**
 * Every processed manifest key of `bucket` (`units/.../manifest.json` and the part manifests of
 * split units), in key order, which S3 gives (UTF-8 binary order) and keys.ts makes time order.
 */
export async function* listProcessedManifests(
  s3: S3Client,
  bucket: string,
  options: { readonly pageSize?: number } = {},
): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: UNITS_PREFIX,
        ContinuationToken: token,
        ...(options.pageSize ? { MaxKeys: options.pageSize } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key && isManifestKey(object.Key)) yield object.Key;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** How many processed manifests `bucket` holds (a listing pass, for the progress bar's total). */
export async function countProcessedManifests(s3: S3Client, bucket: string): Promise<number> {
  let count = 0;
  for await (const _ of listProcessedManifests(s3, bucket)) count++;
  return count;
}

/**
 * The unit ids among `unitIds` whose manifest is not in `bucket`. A unit id is the key of the
 * unit's first processed manifest (services/lambdas/transform/unit.ts), and the lake is write-once,
 * so a unit loaded from this lake always still has it.
 */
export async function unitsMissingFromLake(
  s3: S3Client,
  bucket: string,
  unitIds: readonly string[],
): Promise<string[]> {
  const missing: string[] = [];
  for (const unitId of unitIds) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: unitId }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(unitId);
    }
  }
  return missing;
}
