/**
 * The schema-drift check of each extract run (issue 13 item 4): the source's catalog against
 * SOURCE_TABLES (rules in shared/schema/source-drift.ts). Runs after the lease and BEFORE anything
 * is written. Compatible drift (new table, new column, widened type) is logged per `table.column`
 * and counted in the `SchemaDrift` metric; the run goes on with the known columns (the reader
 * selects them by name). Incompatible drift also throws SourceSchemaError, so the run fails with
 * nothing written and the watermarks where they were.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type CommonQueryMethods, sql } from 'slonik';
import { z } from 'zod';
import { addMetric, EXTRACT_METRICS } from '../../../shared/metrics/index.ts';
import {
  compareSourceSchema,
  type DriftFinding,
  type ObservedColumn,
  type ObservedSchema,
} from '../../../shared/schema/source-drift.ts';
import { DRIFT_KEY } from '../../../shared/state/keys.ts';
import { SourceSchemaError } from './source-schema-error.ts';

/** The metric (Count, dimension `service`): drift findings of the run, 0 when none. */
/** Last drift seen, for `totes alarms` locally and `totes status`: rewritten by each drifted run. */

/**
 * The tables and columns an unqualified name resolves to for this session (pg_table_is_visible:
 * exactly what the extract's queries see), from pg_catalog, which every role may read whatever
 * its table privileges.
 */
const OBSERVED_COLUMN = z.object({
  table: z.string(),
  column: z.string(),
  position: z.number().int(),
  typeName: z.string(),
  typeText: z.string(),
  nullable: z.boolean(),
  maxLength: z.number().int().nullable(),
  fractionDigits: z.number().int().nullable(),
}) satisfies z.ZodType<ObservedColumn>;

export async function readSourceSchema(db: CommonQueryMethods): Promise<ObservedSchema> {
  const visible = sql.fragment`c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_table_is_visible(c.oid)
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_temp%'`;
  const tables = await db.anyFirst(sql.type(z.object({ relname: z.string() }))`
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${visible} ORDER BY c.relname`);
  const rows = await db.any(sql.type(OBSERVED_COLUMN)`
    SELECT c.relname AS "table", a.attname AS "column",
      (row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::int AS "position",
      bt.typname AS "typeName",
      format_type(a.atttypid, a.atttypmod) AS "typeText",
      NOT a.attnotnull AS "nullable",
      CASE WHEN bt.typname IN ('varchar', 'bpchar') AND a.atttypmod >= 0 THEN a.atttypmod - 4 END AS "maxLength",
      CASE WHEN bt.typname IN ('timestamp', 'timestamptz')
           THEN CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE 6 END END AS "fractionDigits"
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE ${visible}
    ORDER BY c.relname, a.attnum`);
  return { tables, columns: rows };
}

export interface SchemaCheckDeps {
  readonly pool: CommonQueryMethods;
  readonly dynamo: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly logger?: Logger | undefined;
  readonly metrics?: Metrics | undefined;
}

/**
 * Compares, logs, counts and records the drift; throws SourceSchemaError when the run cannot go
 * on. Returns the compatible findings.
 */
export async function checkSourceSchema(
  deps: SchemaCheckDeps,
  run: { readonly runId: string; readonly at: string },
): Promise<DriftFinding[]> {
  const findings = compareSourceSchema(await readSourceSchema(deps.pool));
  if (deps.metrics) addMetric(deps.metrics, EXTRACT_METRICS.schemaDrift, findings.length);
  if (findings.length === 0) return [];
  for (const f of findings) {
    deps.logger?.warn(
      `source schema drift: ${f.subject}: ${f.detail}; ${f.compatible ? 'the run goes on with the known columns' : 'the run stops before writing anything'}; ${f.action}`,
      { schemaDrift: { kind: f.kind, table: f.table, column: f.column, compatible: f.compatible } },
    );
  }
  const incompatible = findings.filter((f) => !f.compatible);
  await deps.dynamo.send(
    new PutCommand({
      TableName: deps.stateTable,
      Item: {
        ...DRIFT_KEY,
        runId: run.runId,
        at: run.at,
        findings: findings.length,
        incompatible: incompatible.length,
        subjects: findings.map((f) => `${f.subject} (${f.kind})`),
      },
    }),
  );
  if (incompatible.length > 0) throw new SourceSchemaError(incompatible);
  return findings.filter((f) => f.compatible);
}

/** SQLSTATEs a schema change can raise mid-run: undefined column / table, datatype mismatch. */
const SCHEMA_SQLSTATES = new Set(['42703', '42P01', '42804']);

function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SCHEMA_SQLSTATES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A schema change between the check and the snapshot's reads surfaces as PostgreSQL's raw 42703
 * (or 42P01): compare again and name the table and column instead. Other errors pass unchanged.
 */
export async function asSourceSchemaError(error: unknown, db: CommonQueryMethods): Promise<unknown> {
  if (sqlState(error) === undefined) return error;
  try {
    const incompatible = compareSourceSchema(await readSourceSchema(db)).filter((f) => !f.compatible);
    return incompatible.length > 0 ? new SourceSchemaError(incompatible, { cause: error }) : error;
  } catch {
    return error;
  }
}
