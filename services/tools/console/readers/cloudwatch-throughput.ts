/**
 * The Pipeline page's throughput on a deployment without a reachable warehouse: the load's and
 * the consumers' custom metrics (shared/metrics) over the last hour, one GetMetricData call (every
 * page of it) per read. Per minute: units applied (UnitsLoaded) and rows written (RowsInserted +
 * RowsUpdated, emitted per warehouse table); per stage: records ok / failed (RecordsSucceeded,
 * RecordsFailed) and batches (BatchDuration's sample count).
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { CONSUMER_METRICS, LOAD_METRICS, METRICS_NAMESPACE } from '../../../../shared/metrics/index.ts';
import { WAREHOUSE_TABLES } from '../../../../shared/schema/warehouse.ts';
import type { PipelineView, StageActivity, ThroughputPoint } from './pipeline-view.ts';

/** What a throughput source gives the Pipeline page. */
export interface ThroughputReading {
  readonly throughput: ThroughputPoint[];
  readonly lastHour: PipelineView['lastHour'];
  /** Records per stage over the same hour, when the source knows them. */
  readonly stages?: { readonly transform: StageActivity; readonly load: StageActivity };
}

const MINUTE = 60_000;

/** 'YYYY-MM-DD HH:MM' UTC, as the load ledger's throughput names its minutes. */
export const minuteKey = (at: Date): string => at.toISOString().slice(0, 16).replace('T', ' ');

/** The 60 minutes ending with the current one, oldest first. */
export function lastHourMinutes(now: number): string[] {
  const current = Math.floor(now / MINUTE) * MINUTE;
  return Array.from({ length: 60 }, (_, i) => minuteKey(new Date(current - (59 - i) * MINUTE)));
}

interface Query {
  readonly id: string;
  readonly metric: string;
  readonly stage: 'transform' | 'load';
  readonly stat: 'Sum' | 'SampleCount';
  readonly table?: string;
}

/** The queries of one read; ids are what GetMetricData allows (`^[a-z][a-zA-Z0-9_]*$`). */
export function throughputQueries(): Query[] {
  const queries: Query[] = [
    { id: 'units', metric: LOAD_METRICS.unitsLoaded.name, stage: 'load', stat: 'Sum' },
    ...WAREHOUSE_TABLES.flatMap((table, i): Query[] => [
      { id: `inserted_${i}`, metric: LOAD_METRICS.rowsInserted.name, stage: 'load', stat: 'Sum', table },
      { id: `updated_${i}`, metric: LOAD_METRICS.rowsUpdated.name, stage: 'load', stat: 'Sum', table },
    ]),
  ];
  for (const stage of ['transform', 'load'] as const) {
    queries.push(
      { id: `${stage}_ok`, metric: CONSUMER_METRICS.recordsSucceeded.name, stage, stat: 'Sum' },
      { id: `${stage}_failed`, metric: CONSUMER_METRICS.recordsFailed.name, stage, stat: 'Sum' },
      { id: `${stage}_batches`, metric: CONSUMER_METRICS.batchDuration.name, stage, stat: 'SampleCount' },
    );
  }
  return queries;
}

function toMetricDataQuery(prefix: string, namespace: string, q: Query): MetricDataQuery {
  // The dimensions the handlers emit with: `service` = POWERTOOLS_SERVICE_NAME (`<prefix>-<stage>`
  // in infra-terraform/locals.tf), `stage`, and `table` for the per-table row counts.
  const dimensions = [
    { Name: 'service', Value: `${prefix}-${q.stage}` },
    { Name: 'stage', Value: q.stage },
    ...(q.table ? [{ Name: 'table', Value: q.table }] : []),
  ];
  return {
    Id: q.id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: q.metric, Dimensions: dimensions },
      Period: 60,
      Stat: q.stat,
    },
    ReturnData: true,
  };
}

/** Every page of one GetMetricData request: id → minute → value (pages may split one id). */
async function metricData(
  cloudwatch: CloudWatchClient,
  queries: MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Map<string, Map<string, number>>> {
  const values = new Map<string, Map<string, number>>();
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampAscending',
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const result of page.MetricDataResults ?? []) addResult(values, result);
    nextToken = page.NextToken;
  } while (nextToken);
  return values;
}

function addResult(values: Map<string, Map<string, number>>, result: MetricDataResult): void {
  if (!result.Id) return;
  let byMinute = values.get(result.Id);
  if (!byMinute) {
    byMinute = new Map();
    values.set(result.Id, byMinute);
  }
  const stamps = result.Timestamps ?? [];
  const numbers = result.Values ?? [];
  for (let i = 0; i < Math.min(stamps.length, numbers.length); i++) {
    const key = minuteKey(stamps[i]!);
    byMinute.set(key, (byMinute.get(key) ?? 0) + (numbers[i] ?? 0));
  }
}

const total = (byMinute: Map<string, number> | undefined): number =>
  Math.round([...(byMinute?.values() ?? [])].reduce((sum, n) => sum + n, 0));

export async function cloudWatchThroughput(
  cloudwatch: CloudWatchClient,
  options: { readonly prefix: string; readonly now: number; readonly namespace?: string },
): Promise<ThroughputReading> {
  const minutes = lastHourMinutes(options.now);
  const start = new Date(`${minutes[0]!.replace(' ', 'T')}:00Z`);
  const end = new Date(Math.floor(options.now / MINUTE) * MINUTE + MINUTE);
  const queries = throughputQueries();
  const values = await metricData(
    cloudwatch,
    queries.map((q) => toMetricDataQuery(options.prefix, options.namespace ?? METRICS_NAMESPACE, q)),
    start,
    end,
  );
  const sumOf = (prefix: string, minute: string) =>
    queries
      .filter((q) => q.id.startsWith(prefix))
      .reduce((sum, q) => sum + (values.get(q.id)?.get(minute) ?? 0), 0);
  const throughput = minutes.map((minute) => ({
    minute,
    units: Math.round(values.get('units')?.get(minute) ?? 0),
    rows: Math.round(sumOf('inserted_', minute) + sumOf('updated_', minute)),
  }));
  const inHour = (prefix: string) => minutes.reduce((sum, minute) => sum + sumOf(prefix, minute), 0);
  const stage = (name: 'transform' | 'load'): StageActivity => ({
    ok: total(values.get(`${name}_ok`)),
    failed: total(values.get(`${name}_failed`)),
    batches: total(values.get(`${name}_batches`)),
  });
  return {
    throughput,
    lastHour: {
      units: throughput.reduce((sum, p) => sum + p.units, 0),
      inserted: Math.round(inHour('inserted_')),
      updated: Math.round(inHour('updated_')),
    },
    stages: { transform: stage('transform'), load: stage('load') },
  };
}
