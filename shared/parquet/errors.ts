/** A value, column or file that the lake's Parquet format cannot hold exactly. */
export class ParquetValueError extends Error {
  override name = 'ParquetValueError';
}
