import { type Interceptor, SchemaValidationError } from 'slonik';

/**
 * Checks every row of a query written with `sql.type(schema)` against its schema (slonik's result
 * parser recipe; slonik itself only carries the schema). A row that does not match fails the query
 * with slonik's SchemaValidationError instead of flowing on under a wrong static type. Untyped
 * queries pass untouched, at the cost of one property read per row.
 */
export const resultParserInterceptor: Interceptor = {
  name: 'totes-result-parser',
  transformRow(context, query, row) {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser['~standard'].validate(row);
    if (result instanceof Promise) {
      throw new TypeError(
        'sql.type: asynchronous schemas are not supported (rows are checked synchronously)',
      );
    }
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as typeof row;
  },
};
