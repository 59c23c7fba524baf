/**
 * The pipeline's alarms, defined ONCE in shared/config/alarms.json and used twice:
 * - infra-terraform/alarms.tf deploys every definition whose `environments` include "aws" as a
 *   CloudWatch metric alarm named `<prefix>-<id>`, notifying the alarm SNS topic;
 * - `totes alarms` evaluates the definitions whose `environments` include "local" against the
 *   local stack (by `kind`: queue attributes, failure records, heartbeat, ledger, run records).
 *
 * Custom metrics (namespace METRICS_NAMESPACE on AWS, from POWERTOOLS_METRICS_NAMESPACE) are
 * emitted with Powertools Metrics (EMF). A CloudWatch alarm matches an EXACT dimension set, so each
 * custom metric must carry exactly the dimensions its alarm names (`service` is
 * POWERTOOLS_SERVICE_NAME, which the Terraform sets to `<prefix>-<stage>`):
 * - `RecordsFailed` (Count), dimensions service + stage: transform and load, one per failed record
 *   (shared/sqs-consumer, which adds the default dimension `stage`);
 * - `RunsSucceeded` (Count), dimension service: extract, 1 per successful run, also when nothing
 *   changed (services/lambdas/extract/run-extract.ts);
 * - `WarehouseFreshnessSeconds` (Seconds), dimensions service + stage: load, after each commit,
 *   now minus the newest source `last_updated` the warehouse holds (services/lambdas/load/processor.ts);
 * - `SourceUnobservable` (Count), dimension service: extract, every run that read the source, the
 *   number of causes that put rows at risk (replica source, TimeZone not UTC; 0 when none); the
 *   same metric with dimensions service + cause is 1 per cause, for the dashboard and diagnosis
 *   (services/lambdas/extract/source-observability.ts);
 * - `SchemaDrift` (Count), dimension service: extract, drift findings of each run (0 when none;
 *   services/lambdas/extract/source-schema.ts, which also keeps the last drift in `DRIFT/extract`).
 * - `RowsHeld` (Count), dimensions service + stage: load, after each commit, the rows held in
 *   pipeline.quarantine now (services/lambdas/load/processor.ts); missing data (no loads) keeps
 *   the alarm's state, since held rows stay held until a load releases them.
 *
 * This module reads the JSON lazily (only `loadAlarmDefinitions` touches the file), so Lambda
 * bundles may import the constants without shipping the file.
 */
import { readFileSync } from 'node:fs';
import { CONSUMER_METRICS } from '../metrics/consumer.ts';
import { EXTRACT_METRICS } from '../metrics/extract.ts';
import { LOAD_METRICS } from '../metrics/load.ts';

export { METRICS_NAMESPACE } from '../metrics/namespace.ts';

/** The custom metrics the alarms watch, by their catalogue entries (shared/metrics). */
export const CUSTOM_METRICS = {
  recordsFailed: CONSUMER_METRICS.recordsFailed.name,
  extractRunsSucceeded: EXTRACT_METRICS.runsSucceeded.name,
  warehouseFreshnessSeconds: LOAD_METRICS.freshness.name,
  sourceUnobservable: EXTRACT_METRICS.sourceUnobservable.name,
  extractSchemaDrift: EXTRACT_METRICS.schemaDrift.name,
  rowsHeld: LOAD_METRICS.rowsHeld.name,
} as const;

/** Placeholder in dimension values for the deployment prefix (`totes` by default). */
export const PREFIX_PLACEHOLDER = '{prefix}';

export const ALARM_KINDS = [
  'dlq-depth',
  'queue-age',
  'records-failed',
  'lambda-errors',
  'lambda-throttles',
  'heartbeat',
  'freshness',
  'source-unobservable',
  'schema-drift',
  'rows-held',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const ALARM_STAGES = ['extract', 'transform', 'load'] as const;
export type AlarmStage = (typeof ALARM_STAGES)[number];

export const ALARM_ENVIRONMENTS = ['aws', 'local'] as const;
export type AlarmEnvironment = (typeof ALARM_ENVIRONMENTS)[number];

export const STATISTICS = ['Sum', 'Maximum', 'Minimum', 'Average', 'SampleCount'] as const;
export type AlarmStatistic = (typeof STATISTICS)[number];

export const COMPARISONS = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;
export type AlarmComparison = (typeof COMPARISONS)[number];

export const MISSING_DATA = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;
export type TreatMissingData = (typeof MISSING_DATA)[number];

export interface AlarmDefinition {
  /** Unique; the alarm's name is `<prefix>-<id>`. DLQ alarms contain "dlq". */
  readonly id: string;
  readonly kind: AlarmKind;
  /** The stage the alarm is about. */
  readonly stage: AlarmStage;
  readonly description: string;
  /** Anchor of the alarm's section in RUNBOOK.md (without '#'). */
  readonly runbook: string;
  /** Where the alarm applies: deployed by Terraform ("aws"), evaluated by `totes alarms` ("local"). */
  readonly environments: readonly AlarmEnvironment[];
  readonly metric: {
    readonly namespace: string;
    readonly name: string;
    /** Values may contain `{prefix}`. */
    readonly dimensions: Readonly<Record<string, string>>;
  };
  readonly statistic: AlarmStatistic;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: AlarmComparison;
  readonly treatMissingData: TreatMissingData;
}

/** A definition with `{prefix}` substituted: what is deployed / evaluated for one prefix. */
export interface ResolvedAlarm extends AlarmDefinition {
  /** `<prefix>-<id>`, the CloudWatch alarm name. */
  readonly name: string;
}

export const ALARMS_FILE = new URL('./alarms.json', import.meta.url);

export class AlarmDefinitionError extends Error {
  override name = 'AlarmDefinitionError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new AlarmDefinitionError(
      `${where} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '')
    throw new AlarmDefinitionError(`${where} must be a non-empty string`);
  return value;
}

function count(value: unknown, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new AlarmDefinitionError(`${where} must be an integer >= ${min}`);
  }
  return value;
}

function parseOne(value: unknown, index: number): AlarmDefinition {
  const at = `alarm[${index}]`;
  if (!isRecord(value)) throw new AlarmDefinitionError(`${at} must be an object`);
  const id = text(value.id, `${at}.id`);
  const where = `alarm ${id}`;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new AlarmDefinitionError(`${where}: id must be kebab-case`);
  const environments = value.environments;
  if (!Array.isArray(environments) || environments.length === 0) {
    throw new AlarmDefinitionError(`${where}: environments must be a non-empty list`);
  }
  const metric = value.metric;
  if (!isRecord(metric) || !isRecord(metric.dimensions)) {
    throw new AlarmDefinitionError(`${where}: metric needs namespace, name and dimensions`);
  }
  const dimensions: Record<string, string> = {};
  for (const [name, dimension] of Object.entries(metric.dimensions)) {
    dimensions[name] = text(dimension, `${where}: dimension ${name}`);
  }
  const periodSeconds = count(value.periodSeconds, `${where}: periodSeconds`, 60);
  if (periodSeconds % 60 !== 0)
    throw new AlarmDefinitionError(`${where}: periodSeconds must be a multiple of 60`);
  const evaluationPeriods = count(value.evaluationPeriods, `${where}: evaluationPeriods`, 1);
  const datapointsToAlarm = count(value.datapointsToAlarm, `${where}: datapointsToAlarm`, 1);
  if (datapointsToAlarm > evaluationPeriods) {
    throw new AlarmDefinitionError(`${where}: datapointsToAlarm exceeds evaluationPeriods`);
  }
  if (typeof value.threshold !== 'number' || !Number.isFinite(value.threshold)) {
    throw new AlarmDefinitionError(`${where}: threshold must be a number`);
  }
  const kind = oneOf(value.kind, ALARM_KINDS, `${where}: kind`);
  if (kind === 'dlq-depth' && !id.includes('dlq')) {
    throw new AlarmDefinitionError(`${where}: a dlq-depth alarm's id must contain "dlq"`);
  }
  return {
    id,
    kind,
    stage: oneOf(value.stage, ALARM_STAGES, `${where}: stage`),
    description: text(value.description, `${where}: description`),
    runbook: text(value.runbook, `${where}: runbook`),
    environments: environments.map((env, i) =>
      oneOf(env, ALARM_ENVIRONMENTS, `${where}: environments[${i}]`),
    ),
    metric: {
      namespace: text(metric.namespace, `${where}: metric.namespace`),
      name: text(metric.name, `${where}: metric.name`),
      dimensions,
    },
    statistic: oneOf(value.statistic, STATISTICS, `${where}: statistic`),
    periodSeconds,
    evaluationPeriods,
    datapointsToAlarm,
    threshold: value.threshold,
    comparison: oneOf(value.comparison, COMPARISONS, `${where}: comparison`),
    treatMissingData: oneOf(value.treatMissingData, MISSING_DATA, `${where}: treatMissingData`),
  };
}

/** Validates parsed alarms.json content; throws AlarmDefinitionError naming the first problem. */
export function parseAlarmDefinitions(json: unknown): AlarmDefinition[] {
  if (!Array.isArray(json)) throw new AlarmDefinitionError('alarms.json must be a JSON list');
  const alarms = json.map(parseOne);
  const seen = new Set<string>();
  for (const alarm of alarms) {
    if (seen.has(alarm.id)) throw new AlarmDefinitionError(`alarm id ${alarm.id} is defined twice`);
    seen.add(alarm.id);
  }
  return alarms;
}

/** Reads and validates shared/config/alarms.json. */
export function loadAlarmDefinitions(file: URL | string = ALARMS_FILE): AlarmDefinition[] {
  return parseAlarmDefinitions(JSON.parse(readFileSync(file, 'utf8')) as unknown);
}

/** Substitutes the prefix (as the Terraform does) and names the alarm `<prefix>-<id>`. */
export function resolveAlarm(alarm: AlarmDefinition, prefix: string): ResolvedAlarm {
  const dimensions = Object.fromEntries(
    Object.entries(alarm.metric.dimensions).map(([name, value]) => [
      name,
      value.replaceAll(PREFIX_PLACEHOLDER, prefix),
    ]),
  );
  return { ...alarm, name: `${prefix}-${alarm.id}`, metric: { ...alarm.metric, dimensions } };
}

/** The alarms of one environment, resolved for one prefix. */
export function alarmsFor(
  environment: AlarmEnvironment,
  prefix: string,
  definitions: readonly AlarmDefinition[] = loadAlarmDefinitions(),
): ResolvedAlarm[] {
  return definitions
    .filter((alarm) => alarm.environments.includes(environment))
    .map((alarm) => resolveAlarm(alarm, prefix));
}

/** CloudWatch's comparison, for evaluating a datapoint locally. */
export function breaches(alarm: Pick<AlarmDefinition, 'comparison' | 'threshold'>, value: number): boolean {
  switch (alarm.comparison) {
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
  }
}
