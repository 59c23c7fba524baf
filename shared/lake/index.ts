/**
 * The lake: both buckets, for all three stages. keys.ts builds and parses every key, read.ts reads
 * (size-limited, one not-found rule), write.ts writes once (If-None-Match on every write),
 * manifests.ts holds the formats and the manifest checks, errors.ts the lake's failures.
 */
export { LakeConflictError, LakeError, MissingObjectError, ObjectTooLargeError } from './errors.ts';
export {
  FIRST_GENERATION,
  generationPrefix,
  ingestionTableKey,
  isManifestKey,
  type LakeKey,
  MAX_GENERATION,
  manifestKey,
  newRunId,
  parseLakeKey,
  processedObjectKey,
  processedPartManifestKey,
  runIdFromKey,
  unitPrefix,
} from './keys.ts';
export {
  checkGeneration,
  checkHeldRow,
  generationOf,
  type HeldRow,
  INGESTION_MANIFEST_FORMAT,
  INGESTION_TABLE_FORMAT,
  type IngestionManifest,
  type IngestionManifestObject,
  type IngestionTableObject,
  PROCESSED_MANIFEST_FORMAT,
  type ProcessedManifest,
  type ProcessedManifestObject,
  type SourceValue,
  validateProcessedManifest,
} from './manifests.ts';
export {
  isNotFound,
  type ObjectBytes,
  type ReadRequest,
  readMetadata,
  readObject,
  readText,
} from './read.ts';
export {
  isConditionalRequestConflict,
  isPreconditionFailed,
  MULTIPART_THRESHOLD_BYTES,
  metadataValue,
  type WriteOnceOptions,
  type WriteOutcome,
  type WriteRequest,
  writeOnce,
} from './write.ts';
export { DEFAULT_WRITE_WINDOW, WriteWindow, type WriteWindowLimits } from './write-window.ts';
