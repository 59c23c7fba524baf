/**
 * The last source schema drift an extract run saw (`DRIFT/extract`): written by
 * services/lambdas/extract/source-schema.ts, read by `totes alarms` (the extract-schema-drift alarm).
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DRIFT_KEY } from './keys.ts';

export interface SchemaDriftRecord {
  readonly at: string;
  readonly findings: number;
  readonly incompatible: number;
  readonly subjects: readonly string[];
}

/** The last recorded drift, or null when no run ever saw one. */
export async function readSchemaDrift(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<SchemaDriftRecord | null> {
  const drift = (await doc.send(new GetCommand({ TableName: tableName, Key: DRIFT_KEY }))).Item;
  if (!drift || typeof drift.at !== 'string') return null;
  return {
    at: drift.at,
    findings: Number(drift.findings ?? 0),
    incompatible: Number(drift.incompatible ?? 0),
    subjects: Array.isArray(drift.subjects) ? drift.subjects.map(String) : [],
  };
}
