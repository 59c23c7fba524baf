/**
 * Seeded, reproducible fault injection for the LOCAL runtime only (chaos runs, crash tests).
 *
 * One option configures it: `--faults SPEC --fault-seed N` (`npm run chaos`: `--seed N`), SPEC being `kind=probability` pairs separated
 * by commas (`s3.put=0.05,sqs.delete=0.05,duplicate=0.1`), `all=P` for every kind, later entries
 * overriding earlier ones (`all=0.05,reorder=0.2`). Every boundary draws its decisions from its own
 * PRNG stream (seed + kind), in the order the boundary is crossed, so adding draws at one boundary
 * never shifts another's, and the same seed gives the same sequence of decisions per boundary.
 *
 * Nothing here is imported by the Lambda handlers: faults reach them only through the clients' own
 * interfaces (HTTP errors from the emulators, slonik interceptors, the load handler's afterCommit
 * seam) and through the local event source mapping / invoker, which play the Lambda service.
 */
import { createRng, type Rng } from '../../simulator/prng.ts';

export const FAULT_KINDS = [
  's3.put',
  's3.get',
  'sqs.send',
  'sqs.receive',
  'sqs.delete',
  'ddb.read',
  'ddb.write',
  'pg.query',
  'pg.commit',
  'post-commit-crash',
  'post-commit-kill',
  'timeout',
  'duplicate',
  'reorder',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  's3.put': 'S3 PutObject / UploadPart / CompleteMultipartUpload answers 500 InternalError or 503 SlowDown',
  's3.get': 'S3 GetObject / HeadObject / ListObjects answers 500 InternalError or 503 SlowDown',
  'sqs.send': 'SQS SendMessage(Batch) answers 500 InternalError or 503 ServiceUnavailable',
  'sqs.receive':
    'SQS ReceiveMessage answers 500/503 (or, half the time, the messages are received but the response is lost)',
  'sqs.delete': 'SQS DeleteMessage(Batch) / ChangeMessageVisibility(Batch) answers 500/503',
  'ddb.read':
    'DynamoDB GetItem / Query / Scan / BatchGetItem answers 500 InternalServerError or 400 ThrottlingException',
  'ddb.write':
    'DynamoDB PutItem / UpdateItem / DeleteItem (conditional writes included) answers 500 or throttling',
  'pg.query':
    'a pipeline database statement (extract source, load warehouse) fails with SQLSTATE 08006 before it runs',
  'pg.commit':
    'the load transaction fails at its last statement before COMMIT (SQLSTATE 40001): it rolls back',
  'post-commit-crash':
    'the load process "crashes" after the warehouse COMMIT, before the record is marked done and acknowledged',
  'post-commit-kill':
    'the whole process is killed (SIGKILL) after the warehouse COMMIT, before the idempotency record completes: a real container death; never part of all=p',
  timeout:
    'an invocation times out: the function gets a much shorter deadline and the batch counts as failed',
  duplicate: 'a message handled successfully is not deleted (redelivered) or its notification is sent again',
  reorder: 'batches are shuffled and some messages are pushed back for 1-3 s before they are handled',
};

export type FaultSpec = Partial<Record<FaultKind, number>>;

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Parses `kind=p,kind=p` (`all=p` sets every kind); probabilities in [0, 1]. */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = {};
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new FaultSpecError('empty fault spec: expected kind=probability[,...]');
  for (const entry of entries) {
    const match = /^([a-z0-9.-]+)\s*=\s*([0-9.]+)$/i.exec(entry);
    if (!match) throw new FaultSpecError(`bad fault spec entry "${entry}": expected kind=probability`);
    const [, name = '', value = ''] = match;
    const p = Number(value);
    if (!Number.isFinite(p) || p < 0 || p > 1)
      throw new FaultSpecError(`fault probability for ${name} must be between 0 and 1, got ${value}`);
    const kind = name.toLowerCase();
    if (kind === 'all') {
      // all=p means faults a run survives; killing the process is asked for by name only.
      for (const k of FAULT_KINDS) if (k !== 'post-commit-kill') spec[k] = p;
    } else if ((FAULT_KINDS as readonly string[]).includes(kind)) {
      spec[kind as FaultKind] = p;
    } else {
      throw new FaultSpecError(`unknown fault kind "${name}" (known: all, ${FAULT_KINDS.join(', ')})`);
    }
  }
  return spec;
}

/** The spec back as text, kinds in their canonical order, zeros left out. */
export function formatFaultSpec(spec: FaultSpec): string {
  return FAULT_KINDS.filter((k) => (spec[k] ?? 0) > 0)
    .map((k) => `${k}=${spec[k]}`)
    .join(',');
}

/**
 * Draws and counts faults. `enabled` switches every boundary at once (a chaos run turns faults off
 * to let the pipeline drain). A disabled injector, or a kind with probability 0, draws nothing, so
 * the sequence of a kind depends only on the seed and on how often that boundary was crossed while
 * it was enabled.
 */
export class FaultInjector {
  readonly spec: FaultSpec;
  readonly seed: number;
  enabled: boolean;
  readonly #rngs = new Map<FaultKind, Rng>();
  readonly #counts = new Map<FaultKind, number>();
  readonly #crossings = new Map<FaultKind, number>();
  readonly #crossingWaiters = new Set<{ kind: FaultKind; atLeast: number; resolve: () => void }>();

  constructor(spec: FaultSpec, seed: number, options: { enabled?: boolean } = {}) {
    this.spec = spec;
    this.seed = seed;
    this.enabled = options.enabled ?? true;
  }

  static parse(text: string, seed: number, options: { enabled?: boolean } = {}): FaultInjector {
    return new FaultInjector(parseFaultSpec(text), seed, options);
  }

  /** The PRNG stream of one boundary (also used for the fault's details: which error, how long). */
  rng(kind: FaultKind): Rng {
    let rng = this.#rngs.get(kind);
    if (!rng) {
      rng = createRng(this.seed, `fault:${kind}`);
      this.#rngs.set(kind, rng);
    }
    return rng;
  }

  /** One decision at a boundary: true = inject (and counted). */
  draw(kind: FaultKind): boolean {
    const p = this.spec[kind] ?? 0;
    if (!this.enabled || p <= 0) return false;
    this.#crossed(kind);
    if (!this.rng(kind).chance(p)) return false;
    this.count(kind);
    return true;
  }

  count(kind: FaultKind, n = 1): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + n);
  }

  #crossed(kind: FaultKind): void {
    const n = (this.#crossings.get(kind) ?? 0) + 1;
    this.#crossings.set(kind, n);
    for (const waiter of this.#crossingWaiters) {
      if (waiter.kind === kind && n >= waiter.atLeast) {
        this.#crossingWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Decisions drawn per kind (every kind listed): how often each boundary was crossed while its
   * kind was enabled. A kind that fired 0 times after many crossings is unlucky or broken; one
   * never crossed had no chance (a run too short for that boundary).
   */
  crossings(): Record<FaultKind, number> {
    return Object.fromEntries(FAULT_KINDS.map((k) => [k, this.#crossings.get(k) ?? 0])) as Record<
      FaultKind,
      number
    >;
  }

  /**
   * Resolves true once `kind` has been crossed at least `atLeast` times in all (an event, not a
   * poll), or false after `timeoutMs`.
   */
  whenCrossed(kind: FaultKind, atLeast: number, timeoutMs: number): Promise<boolean> {
    if ((this.#crossings.get(kind) ?? 0) >= atLeast) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        kind,
        atLeast,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.#crossingWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.#crossingWaiters.add(waiter);
    });
  }

  /** Injected faults per kind (every kind listed, zeros included). */
  counts(): Record<FaultKind, number> {
    return Object.fromEntries(FAULT_KINDS.map((k) => [k, this.#counts.get(k) ?? 0])) as Record<
      FaultKind,
      number
    >;
  }

  get total(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }
}

/** Thrown inside the load where a crash after COMMIT is simulated. */
export class InjectedCrashError extends Error {
  override name = 'InjectedCrashError';
}

/** Thrown by the slonik interceptor (carries a SQLSTATE like pg's DatabaseError does). */
export class InjectedDatabaseError extends Error {
  override name = 'InjectedDatabaseError';
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}
