/**
 * Where the incremental latency goes: one scale-1 stack (embedded PostgreSQL, LocalStack), a full
 * load, then `--cycles` incremental cycles measured exactly as the benchmark measures them (the
 * same change set, clock from `schedule.fire()` to the load ledger's new row, polled every 5 ms),
 * with every AWS SDK call and every PostgreSQL query of the handlers timestamped on the way.
 * Prints, per hop, the median and p95 of its start and end offsets from the clock's start.
 *
 *   node services/tools/bench/latency-trace.ts [--cycles N] [--json]
 *
 * A diagnostic, not part of `npm run bench`: the patches below (SDK `send`, pg `query`) exist
 * only in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance as nodePerformance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pg from 'pg';
import { createDatabasePool } from '../../../shared/db/pool.ts';
import { startEmbeddedPostgres } from '../local-runtime/embedded-postgres.ts';
import { runOnce } from '../local-runtime/run-once.ts';
import { LocalStack } from '../local-runtime/stack.ts';
import { ledgerRows, waitForLedgerRow } from './ledger-clock.ts';

interface Span {
  readonly what: string;
  readonly start: number;
  end: number;
}

let spans: Span[] | undefined;
const now = () => performance.now();
async function traced<T>(what: string, work: () => Promise<T>): Promise<T> {
  const list = spans;
  if (!list) return work();
  const span: Span = { what, start: now(), end: Number.NaN };
  list.push(span);
  try {
    return await work();
  } finally {
    span.end = now();
  }
}

function describeCommand(
  client: string,
  command: { constructor: { name: string }; input?: unknown },
): string {
  const input = (command.input ?? {}) as Record<string, unknown>;
  const name = command.constructor.name.replace(/Command$/, '');
  if (client === 'S3') {
    const key = String(input.Key ?? input.Prefix ?? '');
    const kind = key.endsWith('manifest.json') ? 'manifest' : key.endsWith('.parquet') ? 'parquet' : 'object';
    return `s3 ${name} ${String(input.Bucket ?? '').replace(/^totes-/, '')} ${kind}`;
  }
  if (client === 'SQS') {
    const queue =
      String(input.QueueUrl ?? '')
        .split('/')
        .pop() ?? '';
    return `sqs ${name} ${queue.replace(/^totes-/, '')}${name === 'ReceiveMessage' ? ` wait=${input.WaitTimeSeconds}` : ''}`;
  }
  return `dynamodb ${name} ${String(input.TableName ?? '').replace(/^totes-/, '')}`;
}

function patchSdk(): void {
  for (const [client, Class] of [
    ['S3', S3Client],
    ['SQS', SQSClient],
    ['DynamoDB', DynamoDBClient],
    ['DynamoDB', DynamoDBDocumentClient],
  ] as const) {
    const proto = Class.prototype as unknown as { send: (...args: unknown[]) => Promise<unknown> };
    const send = proto.send;
    proto.send = function (this: unknown, ...args: unknown[]) {
      const what = describeCommand(client, args[0] as { constructor: { name: string } });
      return traced(what, () => send.apply(this, args));
    };
  }
}

function patchPg(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: { database?: string }, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    // Only the handlers' queries: the clock's own ledger polling is not a hop.
    if (!spans || text.includes('/*clock*/') || typeof args.at(-1) === 'function')
      return query.apply(this, args);
    const words = text.replace(/\s+/g, ' ').trim().slice(0, 48);
    return traced(`pg ${this.database ?? '?'} ${words}`, () => query.apply(this, args) as Promise<unknown>);
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  });
  const cycles = Number(values.cycles);
  patchSdk();
  patchPg();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'totes-latency-'));
  const server = await startEmbeddedPostgres(path.join(dir, 'postgres'));
  let stack: LocalStack | undefined;
  const perCycle: { totalMs: number; busyShare: number; cpuMs: number; spans: Span[] }[] = [];
  try {
    const sourceUrl = await server.ensureDatabase('totesys');
    const warehouseUrl = await server.ensureDatabase('warehouse');
    const { seedSource } = await import('../simulator/seed.ts');
    const { simulateEvents } = await import('../simulator/simulate.ts');
    const source = await createDatabasePool(sourceUrl, { applicationName: 'latency-trace' });
    await seedSource(source, { scale: 1, seed: 1 });
    stack = await LocalStack.start({
      stateDir: path.join(dir, 'stack'),
      sourceUrl,
      warehouseUrl,
      retryDelaySeconds: 1,
    });
    await runOnce(stack);
    const warehouse = await createDatabasePool(warehouseUrl, { applicationName: 'latency-trace' });
    // A CPU profile of the cycles only (not the seed or the full load), for profile-summary.ts.
    const profiler = values['cpu-prof'] ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    for (let cycle = 0; cycle <= cycles; cycle++) {
      await simulateEvents(source, { events: 35, seed: 7000 + cycle });
      const before = await ledgerRows(warehouse);
      spans = [];
      const t0 = now();
      const elu0 = nodePerformance.eventLoopUtilization();
      const cycleCpu0 = process.cpuUsage();
      const firing = traced('extract handler (fire → outcome)', () => stack!.schedule.fire());
      let busyShare = Number.NaN;
      let cpuMs = Number.NaN;
      const totalMs =
        (await waitForLedgerRow(warehouse, before, 120_000, () => {
          busyShare = nodePerformance.eventLoopUtilization(elu0).utilization;
          const used = process.cpuUsage(cycleCpu0);
          cpuMs = (used.user + used.system) / 1000;
        })) - t0;
      const list = spans;
      spans = undefined;
      await firing;
      await stack.waitUntilDrained(120_000);
      if (cycle > 0)
        perCycle.push({
          totalMs,
          busyShare,
          cpuMs,
          spans: list.map((s) => ({ ...s, start: s.start - t0, end: s.end - t0 })),
        });
    }
    const cpu = process.cpuUsage(cpu0);
    if (profiler && values['cpu-prof']) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(values['cpu-prof'], JSON.stringify(profile));
      profiler.disconnect();
    }
    await warehouse.end();
    await source.end();
    report(perCycle, cpu, Boolean(values.json));
  } finally {
    await stack?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

function report(
  cycles: { totalMs: number; busyShare: number; cpuMs: number; spans: Span[] }[],
  cpu: NodeJS.CpuUsage,
  json: boolean,
): void {
  // Hops are named by what they do and their order of first appearance within the cycle.
  const hops = new Map<string, { starts: number[]; ends: number[]; durations: number[]; count: number[] }>();
  for (const [index, cycle] of cycles.entries()) {
    const seen = new Map<string, number>();
    for (const span of cycle.spans.filter((s) => s.start <= cycle.totalMs)) {
      const n = (seen.get(span.what) ?? 0) + 1;
      seen.set(span.what, n);
      const key = n === 1 ? span.what : `${span.what} #${n}`;
      const hop = hops.get(key) ?? { starts: [], ends: [], durations: [], count: [] };
      hop.starts.push(span.start);
      hop.ends.push(span.end);
      hop.durations.push(span.end - span.start);
      hop.count.push(index);
      hops.set(key, hop);
    }
  }
  const totals = cycles.map((c) => c.totalMs).sort((a, b) => a - b);
  const median = (xs: number[]) =>
    pct(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const rows = [...hops.entries()]
    .map(([what, h]) => ({
      what,
      cycles: h.count.length,
      startMs: Math.round(median(h.starts)),
      endMs: Math.round(median(h.ends)),
      durationMs: Math.round(median(h.durations) * 10) / 10,
    }))
    .sort((a, b) => a.startMs - b.startMs);
  const summary = {
    cycles: cycles.length,
    p50Ms: Math.round(pct(totals, 50)),
    p95Ms: Math.round(pct(totals, 95)),
    samplesMs: cycles.map((c) => Math.round(c.totalMs)),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    // How much of each cycle the one event loop (emulators and the three handlers) was busy:
    // near 1, only less work on it shortens the cycle; well below 1, waiting does.
    eventLoopBusyMedian: Math.round(median(cycles.map((c) => c.busyShare)) * 100) / 100,
    // CPU (user+sys, every thread of the process) from fire to the ledger row: the work on the
    // critical path, less sensitive than wall time to other processes on a shared machine.
    cycleCpuMsP50: Math.round(median(cycles.map((c) => c.cpuMs))),
    cycleCpuMsP95: Math.round(
      pct(
        cycles.map((c) => c.cpuMs).sort((a, b) => a - b),
        95,
      ),
    ),
    hops: rows,
  };
  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  console.log(
    `latency over ${summary.cycles} cycles: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms; samples ${summary.samplesMs.join(', ')}`,
  );
  console.log(`CPU (user+sys) of this process during the cycles: ${summary.cpuSeconds} s`);
  console.log(`event loop busy during a cycle (median share): ${summary.eventLoopBusyMedian}`);
  console.log(
    `CPU of this process from fire to ledger row: p50 ${summary.cycleCpuMsP50} ms, p95 ${summary.cycleCpuMsP95} ms`,
  );
  console.log(
    '| hop | cycles | start (median ms) | end (median ms) | duration (median ms) |\n|---|---:|---:|---:|---:|',
  );
  for (const r of rows)
    console.log(`| ${r.what} | ${r.cycles} | ${r.startMs} | ${r.endMs} | ${r.durationMs} |`);
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error(`latency-trace failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 2;
  }
}
