/**
 * The lake's own failures, one class each for every stage (the class name is what the on-call
 * engineer reads in `totes dlq show`). All are permanent: retrying the same record cannot help.
 */
export class LakeError extends Error {
  override name = 'LakeError';
}

/** A key that was notified, or that a manifest names, is not in the bucket. */
export class MissingObjectError extends LakeError {
  override name = 'MissingObjectError';
}

/** An object larger than the invocation's memory budget (MAX_OBJECT_BYTES), refused before it is read. */
export class ObjectTooLargeError extends LakeError {
  override name = 'ObjectTooLargeError';
}

/** A key already holds an object another input produced (the lake is never overwritten). */
export class LakeConflictError extends LakeError {
  override name = 'LakeConflictError';
}
