/**
 * The items of the pipeline state table (PIPELINE_STATE_TABLE), one partition key per kind.
 * Every writer and every reader (the stages, `totes status`, `totes alarms`, the console) takes
 * its keys from here, so an item is spelled once.
 *
 * | item                      | pk                | sk                        | written by            |
 * | ------------------------- | ----------------- | ------------------------- | --------------------- |
 * | watermark of a table      | `WATERMARK`       | source table name         | extract (watermarks.ts) |
 * | the extract run lease     | `LEASE`           | `extract`                 | extract (lease.ts)    |
 * | one extract run           | `RUN`             | run id (sorts by time)    | extract (runs.ts)     |
 * | last successful extract   | `HEARTBEAT`       | `extract`                 | extract (runs.ts)     |
 * | last source schema drift  | `DRIFT`           | `extract`                 | extract (source-schema.ts; drift.ts reads) |
 * | why an object is failing  | `FAILURE#<stage>` | `<bucket>/<key>`          | transform, load (shared/failures) |
 */
export const WATERMARK_PK = 'WATERMARK';
export const RUN_PK = 'RUN';
export const LEASE_KEY = { pk: 'LEASE', sk: 'extract' } as const;
export const HEARTBEAT_KEY = { pk: 'HEARTBEAT', sk: 'extract' } as const;
export const DRIFT_KEY = { pk: 'DRIFT', sk: 'extract' } as const;
