/**
 * The deployment's resources, described once. The local stack creates exactly these on the
 * emulators, and the Terraform declares the same names and settings (a test checks both agree).
 */

export type Stage = 'extract' | 'transform' | 'load';
export type Profile = 'aws' | 'local';

export interface QueueResource {
  readonly name: string;
  readonly dlqName: string;
  readonly consumer: Exclude<Stage, 'extract'>;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly dlqRetentionSeconds: number;
}

export interface FunctionResource {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface EventSourceMappingResource {
  readonly queue: string;
  readonly function: Exclude<Stage, 'extract'>;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** Caps concurrent invocations (protects the warehouse's connection limit for the load). */
  readonly maximumConcurrency: number;
}

export interface NotificationResource {
  readonly bucket: string;
  /** Only manifests start work: the data objects they list are written before them. */
  readonly suffix: string;
  readonly queue: string;
}

export interface PipelineResources {
  readonly prefix: string;
  readonly buckets: { readonly ingestion: string; readonly processed: string };
  readonly queues: { readonly transform: QueueResource; readonly load: QueueResource };
  readonly tables: {
    /** Powertools idempotency records: partition key `id`, TTL attribute `expiration`. */
    readonly idempotency: {
      readonly name: string;
      readonly partitionKey: 'id';
      readonly ttlAttribute: 'expiration';
    };
    /** Watermarks, run lease, run history, heartbeats and failure records: keys `pk` + `sk`. */
    readonly state: {
      readonly name: string;
      readonly partitionKey: 'pk';
      readonly sortKey: 'sk';
      readonly ttlAttribute: 'expires_at';
    };
  };
  readonly functions: Readonly<Record<Stage, FunctionResource>>;
  readonly mappings: readonly EventSourceMappingResource[];
  readonly notifications: readonly NotificationResource[];
  /** The extract schedule, in minutes. */
  readonly scheduleMinutes: number;
}

export const MANIFEST_SUFFIX = 'manifest.json';

/** The EventBridge rule that starts the extract (infra-terraform/eventbridge.tf; the local schedule's name). */
export function extractScheduleRuleName(prefix: string): string {
  return `${prefix}-extract-schedule`;
}
export const DEFAULT_PREFIX = 'totes';

/**
 * On AWS the stages get real time budgets. Locally they are shorter, so a message whose consumer
 * died comes back within minutes (the visibility timeout is six times the timeout), yet long
 * enough for a first full load at scale 1 on a busy laptop; crash tests pass shorter ones.
 */
const TIMEOUTS: Readonly<Record<Profile, Readonly<Record<Stage, number>>>> = {
  aws: { extract: 300, transform: 120, load: 120 },
  local: { extract: 120, transform: 30, load: 30 },
};

const MEMORY_MB: Readonly<Record<Stage, number>> = { extract: 512, transform: 1024, load: 512 };

export function pipelineResources(
  prefix = DEFAULT_PREFIX,
  profile: Profile = 'aws',
  timeoutOverrides: Partial<Record<Stage, number>> = {},
): PipelineResources {
  const timeouts = { ...TIMEOUTS[profile], ...timeoutOverrides };
  const queue = (consumer: 'transform' | 'load'): QueueResource => ({
    name: `${prefix}-${consumer}`,
    dlqName: `${prefix}-${consumer}-dlq`,
    consumer,
    maxReceiveCount: 5,
    // Brief §4: at least six times the consumer's timeout, so a slow attempt is not redelivered
    // while it still runs.
    visibilityTimeoutSeconds: 6 * timeouts[consumer],
    messageRetentionSeconds: 4 * 24 * 3600,
    // Longer than the source queue: a standard queue keeps the original enqueue time in the DLQ.
    dlqRetentionSeconds: 14 * 24 * 3600,
  });
  const fn = (stage: Stage): FunctionResource => ({
    name: `${prefix}-${stage}`,
    timeoutSeconds: timeouts[stage],
    memoryMb: MEMORY_MB[stage],
  });
  const transform = queue('transform');
  const load = queue('load');
  const ingestion = `${prefix}-ingestion`;
  const processed = `${prefix}-processed`;
  return {
    prefix,
    buckets: { ingestion, processed },
    queues: { transform, load },
    tables: {
      idempotency: { name: `${prefix}-idempotency`, partitionKey: 'id', ttlAttribute: 'expiration' },
      state: {
        name: `${prefix}-pipeline-state`,
        partitionKey: 'pk',
        sortKey: 'sk',
        ttlAttribute: 'expires_at',
      },
    },
    functions: { extract: fn('extract'), transform: fn('transform'), load: fn('load') },
    mappings: [
      {
        queue: transform.name,
        function: 'transform',
        batchSize: 10,
        maximumBatchingWindowSeconds: profile === 'aws' ? 5 : 0,
        maximumConcurrency: 5,
      },
      {
        queue: load.name,
        function: 'load',
        batchSize: 10,
        maximumBatchingWindowSeconds: profile === 'aws' ? 5 : 0,
        // See README "Warehouse connections": 2 concurrent loads × pool of 2 stays far below
        // a small RDS instance's connection limit and avoids lock contention on dimensions.
        maximumConcurrency: 2,
      },
    ],
    notifications: [
      { bucket: ingestion, suffix: MANIFEST_SUFFIX, queue: transform.name },
      { bucket: processed, suffix: MANIFEST_SUFFIX, queue: load.name },
    ],
    scheduleMinutes: 5,
  };
}
