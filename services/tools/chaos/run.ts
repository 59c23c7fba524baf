/**
 * A chaos run: a fresh local stack with seeded faults at every boundary, K extract cycles with the
 * simulator writing changes in between, then faults off, drain, DLQ redrive, drain, and two
 * oracles: reconcile() (the warehouse equals the source as the spec defines it) and
 * reconcileHistory() (every source fact version an extract could see is in the warehouse exactly
 * once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabasePool } from 'slonik';
import { ENV } from '../../../shared/config/env.ts';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { newRequestIds } from '../local-runtime/aws/request-context.ts';
import { testEventMessage } from '../local-runtime/aws/s3-event.ts';
import { FAULT_KINDS, FaultInjector, type FaultKind } from '../local-runtime/faults/injector.ts';
import { LocalStack } from '../local-runtime/stack.ts';
import { RedriveInterruptedError, redrive } from '../ops/dlq/move.ts';
import { localTarget, type OpsTarget } from '../ops/dlq/target.ts';
import {
  type HistoryResult,
  type ReconcileResult,
  type RecordedVersion,
  reconcile,
  reconcileHistory,
  renderReconcileReport,
  snapshotSourceVersions,
  VersionRecorder,
} from '../ops/reconcile/index.ts';
import { simulateEvents } from '../simulator/simulate.ts';

/**
 * The default fault mix of `npm run chaos`: a few percent per request at the emulators (the SDK
 * retries each), more per invocation or per load (far fewer of those cross their boundary).
 */
export const DEFAULT_CHAOS_FAULTS =
  's3.put=0.05,s3.get=0.05,sqs.send=0.25,sqs.receive=0.03,sqs.delete=0.05,ddb.read=0.05,ddb.write=0.05,' +
  'pg.query=0.01,pg.commit=0.25,post-commit-crash=0.25,timeout=0.1,duplicate=0.2,reorder=0.2';

export interface ChaosOptions {
  readonly seed: number;
  readonly cycles: number;
  /** Fault spec (see injector.ts); default DEFAULT_CHAOS_FAULTS. */
  readonly faults?: string;
  /** Seed scale of an embedded source (default 0.05). */
  readonly scale?: number;
  /** Simulated business events between two extracts (default 120). */
  readonly eventsPerCycle?: number;
  /** Default: a fresh temporary folder, removed afterwards unless keepState or the run failed. */
  readonly stateDir?: string;
  readonly keepState?: boolean;
  /** Databases by URL (the caller seeds the source); default: embedded PostgreSQL in the state dir. */
  readonly sourceUrl?: string;
  readonly warehouseUrl?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface ChaosResult {
  readonly ok: boolean;
  readonly faults: number;
  readonly byKind: Record<FaultKind, number>;
  /** Decisions drawn per kind while faults were on (how often each boundary was crossed). */
  readonly crossedByKind: Record<FaultKind, number>;
  readonly lost: number;
  readonly duplicated: number;
  readonly checkedVersions: number;
  readonly reconcile: ReconcileResult;
  readonly history: HistoryResult;
  readonly extracts: { readonly ok: number; readonly failed: number; readonly skipped: number };
  readonly redriven: number;
  readonly seconds: number;
  readonly stateDir: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a cycle waits for the load to reach its COMMIT boundary after an extract wrote a unit. */
const LOAD_BOUNDARY_WAIT_MS = 60_000;
/** Extract attempts per cycle (faults on) before the cycle goes on without a unit. */
const EXTRACT_ATTEMPTS_PER_CYCLE = 10;

interface ExtractResultLike {
  readonly status?: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'totes-chaos-'));
  const faults = FaultInjector.parse(options.faults ?? DEFAULT_CHAOS_FAULTS, options.seed, {
    enabled: false,
  });
  // Small units: the extract's window trails the database clock by one second, not two minutes.
  process.env[ENV.extractSafetyMarginMs] ??= '1000';

  let ok = false;
  const stack = await LocalStack.start({
    stateDir,
    sourceUrl: options.sourceUrl,
    warehouseUrl: options.warehouseUrl,
    seedScale: options.scale ?? 0.05,
    // Short timeouts: a message whose acknowledgement was lost comes back after 6 × 5 s.
    timeouts: { extract: 20, transform: 5, load: 5 },
    retryDelaySeconds: 1,
    faults,
  });
  let source: DatabasePool | undefined;
  let warehouse: DatabasePool | undefined;
  let target: OpsTarget | undefined;
  try {
    source = await createDatabasePool(stack.sourceUrl, { applicationName: 'totes-chaos' });
    warehouse = await createDatabasePool(stack.warehouseUrl, { applicationName: 'totes-chaos' });
    const recorder = new VersionRecorder();
    const extracts = { ok: 0, failed: 0, skipped: 0 };

    /**
     * One extract. The versions recorded are those in the source just before a SUCCESSFUL extract
     * (nothing writes in between): exactly what that run had to see. A failed run proves nothing
     * (its changes may be overwritten before the next run reads them).
     */
    const extract = async (): Promise<string> => {
      const visible: RecordedVersion[] = await snapshotSourceVersions(source!);
      const outcome = await stack.schedule.fire();
      const status = outcome.ok
        ? ((outcome.result as ExtractResultLike | undefined)?.status ?? '')
        : 'failed';
      if (status === 'extracted' || status === 'unchanged') {
        extracts.ok++;
        for (const v of visible) recorder.add(v);
        return status;
      }
      if (status === 'skipped') extracts.skipped++;
      else {
        extracts.failed++;
        if (!outcome.ok) log(`extract failed: ${String(outcome.error).slice(0, 200)}`);
      }
      return status;
    };
    const succeeded = (status: string) => status === 'extracted' || status === 'unchanged';

    const ops = localTarget({
      stateDir: stack.options.stateDir,
      endpoints: stack.aws.endpoints,
      region: stack.aws.region,
      resources: stack.resources,
      detach: async () => {},
    });
    target = ops;
    let redriven = 0;
    /** Moves what rests in the DLQs back (faults may hit the mover too); returns how many moved. */
    const redriveAll = async (): Promise<{ moved: number; resting: number; hidden: number }> => {
      let moved = 0;
      let resting = 0;
      let hidden = 0;
      for (const dlq of await ops.dlqs()) {
        if (!dlq.source) continue;
        const depth = await ops.depth(dlq);
        resting += depth.visible + depth.inFlight + depth.delayed;
        hidden += depth.inFlight + depth.delayed;
        if (depth.visible === 0) continue;
        try {
          const result = await redrive(ops, dlq, { visibilityTimeoutSeconds: 5 });
          log(`redrive ${dlq.name}: ${result.moved} message(s) back to ${result.destination}`);
          moved += result.moved;
        } catch (error) {
          if (error instanceof RedriveInterruptedError) moved += error.moved;
          log(`redrive ${dlq.name} interrupted: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      redriven += moved;
      return { moved, resting, hidden };
    };

    stack.startConsumers();
    faults.enabled = true;
    log(
      `chaos: seed ${options.seed}, ${options.cycles} cycles, faults ${options.faults ?? DEFAULT_CHAOS_FAULTS}`,
    );
    const transformQueue = stack.resources.queues.transform;
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const commitsBefore = faults.crossings()['pg.commit'];
      // Faults fail many extracts (a cut-off invocation, DynamoDB reads); a cycle tries again (with
      // faults still on) so that every cycle hands the pipeline a unit.
      let status = await extract();
      for (let attempt = 1; !succeeded(status) && attempt < EXTRACT_ATTEMPTS_PER_CYCLE; attempt++) {
        await sleep(1000);
        status = await extract();
      }
      const counts = await simulateEvents(source, {
        events: options.eventsPerCycle ?? 120,
        seed: options.seed * 1000 + cycle,
      });
      if ((faults.spec['sqs.send'] ?? 0) > 0) {
        // The pipeline's own SendMessage is the on-call redrive (S3's notifications reach SQS inside
        // AWS, not through a call of ours). So that it meets faults in every cycle, one harmless
        // message rests in the transform DLQ each cycle: S3's s3:TestEvent, which the consumer
        // acknowledges without work, put there directly (no SQS request, so no fault of its own).
        stack.aws.enqueue(
          transformQueue.dlqName,
          JSON.stringify(
            testEventMessage({
              bucket: stack.resources.buckets.ingestion,
              time: new Date(),
              ...newRequestIds(),
            }),
          ),
        );
      }
      // The on-call move, under faults too (a send that fails, a delete that fails after the send).
      await redriveAll().catch((error: unknown) => log(`redrive failed: ${String(error)}`));
      if (status === 'extracted' && (faults.spec['pg.commit'] ?? 0) > 0) {
        // The cycle's unit reaches the load's last statement before COMMIT (where pg.commit draws)
        // while faults are still on; without this wait the last cycles' units were loaded only after
        // faults were switched off, and pg.commit was drawn two to five times in a run.
        // A message the faults pushed into a DLQ is redriven meanwhile (as on-call would).
        const deadline = Date.now() + LOAD_BOUNDARY_WAIT_MS;
        let reached = false;
        while (!reached && Date.now() < deadline) {
          reached = await faults.whenCrossed('pg.commit', commitsBefore + 1, 5_000);
          if (!reached) await redriveAll().catch((error: unknown) => log(`redrive failed: ${String(error)}`));
        }
        if (!reached)
          log(`cycle ${cycle}: the load did not reach its commit within ${LOAD_BOUNDARY_WAIT_MS} ms`);
      }
      log(
        `cycle ${cycle}: extract ${status}, ${counts.events} events simulated, ${faults.total} faults so far`,
      );
    }

    faults.enabled = false;
    log('faults off: final extract, drain, redrive, drain');
    let finalDone = false;
    for (let attempt = 0; attempt < 120 && !finalDone; attempt++) {
      finalDone = succeeded(await extract());
      if (!finalDone) await sleep(1000);
    }
    if (!finalDone) throw new Error('the final extract did not succeed within two minutes (faults off)');
    await stack.waitUntilDrained(5 * 60_000);

    // Until the DLQs are empty: redrive what is visible, wait for what is hidden, drain again.
    for (let round = 0; round < 60; round++) {
      const { moved, resting, hidden } = await redriveAll();
      if (resting === 0) break;
      if (moved === 0 && hidden > 0) await sleep(1000);
      await stack.waitUntilDrained(5 * 60_000);
    }

    const reconciled = await reconcile(source, warehouse);
    const history = await reconcileHistory(warehouse, recorder);
    ok = reconciled.ok && history.lost === 0 && history.duplicated === 0;
    if (!reconciled.ok) log(renderReconcileReport(reconciled));
    for (const v of history.lostVersions.slice(0, 20)) log(`lost: ${v.table} ${v.id} @ ${v.lastUpdated}`);
    for (const v of history.duplicatedVersions.slice(0, 20))
      log(`duplicated: ${v.table} ${v.id} @ ${v.lastUpdated} × ${v.copies}`);
    return {
      ok,
      faults: faults.total,
      byKind: faults.counts(),
      crossedByKind: faults.crossings(),
      lost: history.lost,
      duplicated: history.duplicated,
      checkedVersions: history.checked,
      reconcile: reconciled,
      history,
      extracts,
      redriven,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      stateDir,
    };
  } finally {
    faults.enabled = false;
    await target?.close();
    await source?.end();
    await warehouse?.end();
    await stack.stop();
    if (ok && !options.keepState && options.stateDir === undefined)
      rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The report: one line per fault kind, a summary, then LAST `faults=N lost=L duplicated=D`. */
export function renderChaosReport(result: ChaosResult): string {
  const width = Math.max(...FAULT_KINDS.map((k) => k.length));
  const lines = FAULT_KINDS.map(
    (k) => `${k.padEnd(width)}  ${result.byKind[k]} (of ${result.crossedByKind[k]} crossings)`,
  );
  lines.push(
    `extracts: ${result.extracts.ok} ok, ${result.extracts.failed} failed, ${result.extracts.skipped} skipped; ` +
      `redriven from DLQs: ${result.redriven}; versions checked: ${result.checkedVersions}; ` +
      `reconcile: ${result.reconcile.ok ? 'ok' : `${result.reconcile.summary.totalMismatches} mismatches`}; ` +
      `${result.seconds} s${result.ok ? '' : `; state kept in ${result.stateDir}`}`,
  );
  lines.push(`faults=${result.faults} lost=${result.lost} duplicated=${result.duplicated}`);
  return lines.join('\n');
}
