/**
 * The Pipeline page's data: one plain object, whichever target it comes from (the local readers
 * here, the `--aws` readers of `totes status --aws` / `totes alarms --aws` on a deployment).
 */

/** The warehouse must hold a source change within 30 minutes (the pipeline's promise). */
export const FRESHNESS_PROMISE_SECONDS = 30 * 60;

export interface RunView {
  readonly runId: string;
  readonly status: string;
  readonly extractedAt: string | null;
  readonly durationMs: number | null;
  readonly changedRows: number | null;
  readonly rows: number | null;
  readonly rowsByTable: Readonly<Record<string, number>>;
  readonly error: string | null;
}

export interface QueueView {
  readonly name: string;
  readonly dlq: boolean;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number | null;
}

export interface StageActivity {
  readonly ok: number;
  readonly failed: number;
  readonly batches: number;
}

export interface ThroughputPoint {
  /** 'YYYY-MM-DD HH:MM' UTC. */
  readonly minute: string;
  readonly units: number;
  readonly rows: number;
}

export interface AlarmView {
  readonly name: string;
  readonly stage: string;
  readonly state: string;
  readonly reason: string;
  /** RUNBOOK.md anchor. */
  readonly runbook: string;
}

export interface PipelineView {
  readonly at: string;
  readonly scheduleSeconds: number | null;
  readonly lastHeartbeat: string | null;
  readonly runs: readonly RunView[];
  /** Source table → the extract's watermark (state table). */
  readonly watermarks: Readonly<Record<string, string>>;
  /** The queue names of each hop (the flow diagram) and every queue's numbers. */
  readonly hops: {
    readonly transformQueue: string;
    readonly transformDlq: string;
    readonly loadQueue: string;
    readonly loadDlq: string;
    readonly ingestionBucket: string;
    readonly processedBucket: string;
  };
  readonly queues: readonly QueueView[];
  /**
   * Records handled by the consumers: in this process (the console inside `totes start`), or over
   * the last hour from the deployment's metrics (`stagesWindow` says which); null: not known here.
   */
  readonly stages: { readonly transform: StageActivity; readonly load: StageActivity } | null;
  readonly stagesWindow: 'this process' | 'last hour';
  readonly warehouseRows: Readonly<Record<string, number>>;
  readonly unitsLoaded: number;
  readonly lastHour: { readonly units: number; readonly inserted: number; readonly updated: number };
  readonly freshness: {
    readonly newestSourceUpdate: string | null;
    /** Seconds the warehouse is behind the source (the freshness alarm's datapoint). */
    readonly lagSeconds: number | null;
    readonly detail: string;
    readonly promiseSeconds: number;
  };
  readonly alarms: readonly AlarmView[];
  readonly throughput: readonly ThroughputPoint[];
  /** Where the throughput and the last hour's totals come from (shown under the chart). */
  readonly throughputSource: string;
  /** Parts that could not be read this time, in one line each (the rest is still shown). */
  readonly problems: readonly string[];
}
