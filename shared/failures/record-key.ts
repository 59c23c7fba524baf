import { createHash } from 'node:crypto';

/**
 * Keys of failure records that fit DynamoDB whatever the object key: a sort key is at most 1,024
 * bytes and an item 400 KB, while an S3 key is up to 1,024 bytes and a notification can name a
 * key of any length (a poison message: 262,000 characters). A `bucket/key` that does not fit is
 * stored under `bucket/sha256:<hex of the key>`; the key text kept in the item is cut to
 * `MAX_KEY_TEXT` characters and its full length recorded, so the record is still readable.
 */
export const MAX_SORT_KEY_BYTES = 1024;
export const MAX_KEY_TEXT = 1024;

export function failureSortKey(bucket: string | null, key: string | null, messageId: string): string {
  if (bucket === null || key === null) return `message/${messageId}`;
  const natural = `${bucket}/${key}`;
  if (Buffer.byteLength(natural) <= MAX_SORT_KEY_BYTES && !natural.includes('sha256:')) return natural;
  // Hashed: also when the key itself looks like a hashed one, so two keys never share a record.
  const hashed = `${bucket.slice(0, 255)}/sha256:${createHash('sha256').update(key).digest('hex')}`;
  return hashed;
}

/** Text cut to `max` characters, saying how long it was: `abc… (262000 characters)`. */
export function truncateText(text: string, max = MAX_KEY_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
