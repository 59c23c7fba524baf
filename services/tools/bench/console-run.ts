/**
 * The web console's first paint, in its own process:
 *
 *   node services/tools/bench/console-run.ts '{"scale":1,"stateDir":"/tmp/x","loads":5}'
 *
 * A fresh local stack (embedded PostgreSQL, the source seeded at `scale`), one full load through
 * the pipeline, then the console (services/tools/console) on it and a real Chromium
 * (playwright-core) opening each page: one warm-up load, then `loads` measured navigations in a
 * fresh tab each. Per page: First Contentful Paint (the browser's own `paint` entry, from the
 * start of navigation, so it includes the server rendering the page from live reads) and the
 * server's response time.
 *
 * Progress goes to stderr; the result is one `BENCH_RESULT {...}` line on stdout.
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attachedFromLocalStack, openLocalTarget, stageActivityOf } from '../console/local-target.ts';
import { startConsoleServer } from '../console/server.ts';
import { runOnce } from '../local-runtime/run-once.ts';
import { LocalStack } from '../local-runtime/stack.ts';
import { launchChromium } from './chromium.ts';
import { RESULT_MARK } from './probe.ts';

export interface ConsoleRunArgs {
  readonly scale: number;
  readonly stateDir: string;
  readonly loads?: number;
}

export interface PagePaint {
  readonly page: string;
  readonly loads: number;
  readonly firstPaintMedianMs: number;
  readonly firstPaintMaxMs: number;
  readonly responseMedianMs: number;
}

export interface ConsoleResult {
  readonly scale: number;
  readonly pages: readonly PagePaint[];
  /** 1-minute load average before and after the measurement (the machine may be shared). */
  readonly loadAverage: readonly [number, number];
}

export const CONSOLE_PAGES = ['pipeline', 'dead-letters', 'warehouse'] as const;

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

export async function runConsole(args: ConsoleRunArgs): Promise<ConsoleResult> {
  const loads = args.loads ?? 5;
  mkdirSync(args.stateDir, { recursive: true });
  progress(`console: scale ${args.scale}, seeding and loading a fresh local stack`);
  const stack = await LocalStack.start({
    stateDir: args.stateDir,
    seedScale: args.scale,
    timeouts: { extract: 900, transform: 900, load: 900 },
    retryDelaySeconds: 1,
  });
  try {
    const full = await runOnce(stack, { drainTimeoutMs: 30 * 60_000 });
    if (full.status !== 'extracted' || full.failed > 0) {
      throw new Error(`full load incomplete: status ${full.status}, failed ${full.failed}`);
    }
    const target = await openLocalTarget({
      stack: attachedFromLocalStack(stack),
      scheduleSeconds: 30,
      stageActivity: stageActivityOf(stack),
    });
    const server = await startConsoleServer({ target, port: 0 });
    const browser = await launchChromium();
    const loadBefore = os.loadavg()[0] ?? 0;
    try {
      const pages: PagePaint[] = [];
      for (const name of CONSOLE_PAGES) {
        const paints: number[] = [];
        const responses: number[] = [];
        for (let i = 0; i <= loads; i++) {
          const context = await browser.newContext();
          const page = await context.newPage();
          await page.goto(`${server.url}${name}`, { waitUntil: 'load' });
          // The paint entry is queued after the frame is presented: wait for it, not for time.
          await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
          const timing = await page.evaluate(() => {
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            const nav = performance.getEntriesByType('navigation')[0] as
              | PerformanceNavigationTiming
              | undefined;
            return { paint: paint?.startTime ?? Number.NaN, response: nav?.responseEnd ?? Number.NaN };
          });
          await context.close();
          if (i === 0) continue; // warm-up: first connections, first JIT of the readers
          paints.push(timing.paint);
          responses.push(timing.response);
        }
        pages.push({
          page: name,
          loads,
          firstPaintMedianMs: Math.round(median(paints)),
          firstPaintMaxMs: Math.round(Math.max(...paints)),
          responseMedianMs: Math.round(median(responses)),
        });
        progress(`console: /${name} first paint median ${Math.round(median(paints))} ms`);
      }
      const round = (n: number) => Math.round(n * 100) / 100;
      return { scale: args.scale, pages, loadAverage: [round(loadBefore), round(os.loadavg()[0] ?? 0)] };
    } finally {
      await browser.close();
      await server.close();
      await target.close();
    }
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) {
  const args = JSON.parse(process.argv[2] ?? '{}') as ConsoleRunArgs;
  try {
    const result = await runConsole(args);
    process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
  } finally {
    rmSync(path.join(args.stateDir), { recursive: true, force: true });
  }
}
