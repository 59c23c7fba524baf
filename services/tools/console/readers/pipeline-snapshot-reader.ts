/**
 * The Pipeline page's numbers from the readers `totes status` and `totes alarms` use (given as
 * functions: ops/status/collect.ts and ops/alarms/evaluate.ts on the local stack; their `--aws`
 * counterparts on a deployment), plus the load ledger's throughput. Every open page polls: one read serves all requests for `cacheMs` (then, up to a
 * minute, the last one is served while the next is read: snapshot-cache.ts), and the alarms (which
 * read both databases and the state table) are re-evaluated every `alarmsEveryMs` only.
 */
import type { DatabasePool } from 'slonik';
import type { PipelineResources } from '../../../../shared/config/resources.ts';
import type { AlarmState } from '../../ops/alarms/index.ts';
import type { PipelineStatus } from '../../ops/status/collect.ts';
import { errorLine } from '../error-line.ts';
import { SnapshotCache } from '../snapshot-cache.ts';
import type { PipelineReader } from '../target.ts';
import type { ThroughputReading } from './cloudwatch-throughput.ts';
import {
  FRESHNESS_PROMISE_SECONDS,
  type PipelineView,
  type RunView,
  type StageActivity,
} from './pipeline-view.ts';
import { readOnly } from './read-only.ts';
import { lastHourTotals, loadThroughput } from './throughput.ts';

/** What the page takes of `totes status`'s result. */
export type StatusReading = Pick<
  PipelineStatus,
  'queues' | 'watermarks' | 'heartbeat' | 'latestRuns' | 'warehouse' | 'unitsLoaded' | 'freshness'
> & { readonly warehouseError?: string };

/** A throughput source other than the load ledger (a deployment's CloudWatch metrics). */
export interface ThroughputSource {
  readonly name: string;
  read(): Promise<ThroughputReading>;
}

export interface PipelineSnapshotReaderOptions {
  readonly resources: PipelineResources;
  /** `totes status`'s collector on this target. */
  readonly status: () => Promise<StatusReading>;
  /** Every alarm's state on this target. */
  readonly alarms: () => Promise<readonly AlarmState[]>;
  /** The warehouse, for the throughput from its load ledger (null: not reachable from here). */
  readonly warehouse: DatabasePool | null;
  /** Where the throughput comes from instead of the load ledger (read at most every `throughputEveryMs`). */
  readonly throughput?: ThroughputSource;
  readonly throughputEveryMs?: number;
  readonly scheduleSeconds: number | null;
  /** The consumers' counters, when they run in this process (`totes start`). */
  readonly stageActivity?: () => { transform: StageActivity; load: StageActivity };
  readonly cacheMs?: number;
  readonly alarmsEveryMs?: number;
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function runView(item: Record<string, unknown>): RunView {
  const byTable = item.rowsByTable;
  return {
    runId: String(item.runId ?? item.sk ?? ''),
    status: String(item.status ?? 'unknown'),
    extractedAt: typeof item.extractedAt === 'string' ? item.extractedAt : null,
    durationMs: num(item.durationMs),
    changedRows: num(item.changedRows),
    rows: num(item.rows),
    rowsByTable:
      byTable && typeof byTable === 'object'
        ? Object.fromEntries(Object.entries(byTable).map(([t, n]) => [t, Number(n)]))
        : {},
    error: typeof item.error === 'string' ? item.error : null,
  };
}

export class PipelineSnapshotReader implements PipelineReader {
  readonly #options: PipelineSnapshotReaderOptions;
  readonly #cache: SnapshotCache<PipelineView>;
  #alarms: { at: number; states: Promise<readonly AlarmState[]> } | undefined;
  #throughput: { at: number; reading: Promise<ThroughputReading> } | undefined;

  constructor(options: PipelineSnapshotReaderOptions) {
    this.#options = options;
    this.#cache = new SnapshotCache({ freshMs: options.cacheMs ?? 2000, staleMs: 60_000 });
  }

  read(): Promise<PipelineView> {
    return this.#cache.get('pipeline', () => this.#collect());
  }

  #alarmStates(): Promise<readonly AlarmState[]> {
    const now = Date.now();
    if (!this.#alarms || now - this.#alarms.at >= (this.#options.alarmsEveryMs ?? 10_000)) {
      const states = this.#options.alarms();
      states.catch(() => {
        if (this.#alarms?.states === states) this.#alarms = undefined;
      });
      this.#alarms = { at: now, states };
    }
    return this.#alarms.states;
  }

  /** The other source's reading, again only every `throughputEveryMs` (per-minute numbers anyway). */
  #throughputReading(source: ThroughputSource): Promise<ThroughputReading> {
    const now = Date.now();
    if (!this.#throughput || now - this.#throughput.at >= (this.#options.throughputEveryMs ?? 60_000)) {
      const reading = source.read();
      reading.catch(() => {
        if (this.#throughput?.reading === reading) this.#throughput = undefined;
      });
      this.#throughput = { at: now, reading };
    }
    return this.#throughput.reading;
  }

  #ledger(problems: string[]): Promise<ThroughputReading> {
    const { warehouse, throughput } = this.#options;
    const none: ThroughputReading = { throughput: [], lastHour: { units: 0, inserted: 0, updated: 0 } };
    if (throughput) {
      return this.#throughputReading(throughput).catch((error: unknown) => {
        problems.push(`throughput: ${errorLine(error)}`);
        return none;
      });
    }
    if (warehouse === null) return Promise.resolve(none);
    return readOnly(warehouse, async (connection) => ({
      throughput: await loadThroughput(connection),
      lastHour: await lastHourTotals(connection),
    })).catch((error: unknown): ThroughputReading => {
      problems.push(`load ledger: ${errorLine(error)}`);
      return none;
    });
  }

  async #collect(): Promise<PipelineView> {
    const { resources } = this.#options;
    const problems: string[] = [];
    const [status, alarms, ledger] = await Promise.all([
      this.#options.status().catch((error: unknown): StatusReading | null => {
        problems.push(`status: ${errorLine(error)}`);
        return null;
      }),
      this.#alarmStates().catch((error: unknown): readonly AlarmState[] => {
        problems.push(`alarms: ${errorLine(error)}`);
        return [];
      }),
      this.#ledger(problems),
    ]);
    if (status?.warehouseError !== undefined) problems.push(`warehouse: ${status.warehouseError}`);
    // A queue the deployment should have and does not: a wrong prefix or region, said once; an
    // optional one (the AWS schedule DLQ) is just not shown.
    const declared = new Set(Object.values(resources.queues).flatMap((q) => [q.name, q.dlqName]));
    const missing = (status?.queues ?? [])
      .filter((q) => !q.exists && declared.has(q.queue))
      .map((q) => q.queue);
    if (missing.length) problems.push(`queues not found: ${missing.join(', ')} (wrong prefix or region?)`);
    const queues = resources.queues;
    const freshness = alarms.find((a) => a.kind === 'freshness');
    return {
      at: new Date().toISOString(),
      scheduleSeconds: this.#options.scheduleSeconds,
      lastHeartbeat: typeof status?.heartbeat?.at === 'string' ? status.heartbeat.at : null,
      runs: (status?.latestRuns ?? []).map(runView),
      watermarks: status?.watermarks ?? {},
      hops: {
        transformQueue: queues.transform.name,
        transformDlq: queues.transform.dlqName,
        loadQueue: queues.load.name,
        loadDlq: queues.load.dlqName,
        ingestionBucket: resources.buckets.ingestion,
        processedBucket: resources.buckets.processed,
      },
      queues: (status?.queues ?? [])
        .filter((q) => q.exists)
        .map((q) => ({
          name: q.queue,
          dlq: q.dlq,
          visible: q.visible,
          inFlight: q.inFlight,
          delayed: q.delayed,
          oldestAgeSeconds: q.oldestAgeSeconds,
        })),
      stages: this.#options.stageActivity?.() ?? ledger.stages ?? null,
      stagesWindow: this.#options.stageActivity ? 'this process' : 'last hour',
      warehouseRows: status?.warehouse ?? {},
      unitsLoaded: status?.unitsLoaded ?? 0,
      lastHour: ledger.lastHour,
      freshness: {
        newestSourceUpdate: status?.freshness.newestSourceUpdate ?? null,
        lagSeconds: freshness ? freshness.value : (status?.freshness.ageSeconds ?? null),
        detail: freshness?.reason ?? 'freshness alarm not evaluated',
        promiseSeconds: FRESHNESS_PROMISE_SECONDS,
      },
      alarms: alarms.map((a) => ({
        name: a.name,
        stage: a.stage,
        state: a.state,
        reason: a.reason,
        runbook: a.runbook,
      })),
      throughput: ledger.throughput,
      throughputSource: this.#options.throughput?.name ?? 'the load ledger',
      problems,
    };
  }
}
