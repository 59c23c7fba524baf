/**
 * Bad input fails the record with one of these classes (the name is what the on-call engineer
 * reads in `dlq show`); the message says which object, table, row and column. Reading and writing
 * the lake fails with shared/lake/errors.ts (MissingObjectError, ObjectTooLargeError,
 * LakeConflictError), the same classes in every stage.
 */
export class TransformInputError extends Error {
  override name = 'TransformInputError';
}

/** The notified key is not an ingestion manifest (only manifests start work). */
export class NotAManifestError extends TransformInputError {
  override name = 'NotAManifestError';
}

export class MalformedJsonError extends TransformInputError {
  override name = 'MalformedJsonError';
}

/** The manifest's shape is wrong (format, run id, object list, row counts). */
export class BadManifestError extends TransformInputError {
  override name = 'BadManifestError';
}

/** The table object's envelope is wrong (format, run id, table/part differing from the manifest). */
export class BadTableObjectError extends TransformInputError {
  override name = 'BadTableObjectError';
}

export class UnknownTableError extends TransformInputError {
  override name = 'UnknownTableError';
}

/** A column the source table does not have (or one listed twice). */
export class UnknownColumnError extends TransformInputError {
  override name = 'UnknownColumnError';
}

export class MissingColumnError extends TransformInputError {
  override name = 'MissingColumnError';
}

/** A value (or a declared column type) that is not what the source schema says. */
export class WrongValueTypeError extends TransformInputError {
  override name = 'WrongValueTypeError';
}

/** A counterparty without its legal address in the unit, a staff row without its department. */
export class MissingJoinPartnerError extends TransformInputError {
  override name = 'MissingJoinPartnerError';
}

/** A currency code CLDR has no English name for. */
export class UnknownCurrencyError extends TransformInputError {
  override name = 'UnknownCurrencyError';
}
