import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { FaultInjector } from '../faults/injector.ts';
import { injectedTimeoutSeconds } from '../faults/lambda.ts';
import { type InvocationOutcome, invokeLocally, type LocalFunction } from './local-function.ts';

/** The event EventBridge sends for a `rate(...)` rule. */
export function scheduledEvent(ruleName: string, region: string, time = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${ruleName}`],
    detail: {},
  };
}

export interface ScheduleOptions<R> {
  readonly ruleName: string;
  readonly region: string;
  readonly everySeconds: number;
  readonly fn: LocalFunction<ScheduledEvent, R>;
  readonly onRun?: (outcome: InvocationOutcome<R>) => void;
  /** Local fault injection (timeouts); absent: none. */
  readonly faults?: FaultInjector | undefined;
  /**
   * Asked before every tick: true skips it, as a disabled EventBridge rule fires nothing
   * (`totes schedule pause`). `fire()` (an explicit invocation) is not affected, like an Invoke.
   */
  readonly paused?: () => boolean;
}

/**
 * An EventBridge schedule, locally: fires at once, then every `everySeconds`. A tick that comes
 * while the previous invocation still runs is skipped (on AWS it would start a second invocation,
 * which the extract's run lease turns away anyway).
 */
export class Schedule<R> {
  readonly #options: ScheduleOptions<R>;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<unknown> | undefined;
  #ticksSkippedWhilePaused = 0;

  constructor(options: ScheduleOptions<R>) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  /** Whether the schedule is paused now (`totes schedule pause`). */
  get paused(): boolean {
    return this.#options.paused?.() ?? false;
  }

  /** Ticks that found the schedule paused and invoked nothing. */
  get ticksSkippedWhilePaused(): number {
    return this.#ticksSkippedWhilePaused;
  }

  start(): void {
    if (this.#timer) return;
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), this.#options.everySeconds * 1000);
  }

  /** Invokes once now (used by `run --once`), waiting for the result. */
  async fire(): Promise<InvocationOutcome<R>> {
    const { fn, ruleName, region } = this.#options;
    const run = invokeLocally(fn, scheduledEvent(ruleName, region), region, {
      timeoutSeconds: injectedTimeoutSeconds(this.#options.faults, fn.timeoutSeconds),
    });
    this.#current = run;
    try {
      const outcome = await run;
      this.#options.onRun?.(outcome);
      return outcome;
    } finally {
      this.#current = undefined;
    }
  }

  #tick(): void {
    if (this.#current) return;
    if (this.paused) {
      this.#ticksSkippedWhilePaused++;
      return;
    }
    void this.fire();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }
}
