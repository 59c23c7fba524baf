/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`, or BENCH_CPU_PROF=<dir> npm run bench):
 * self time per function and per file, the top N of each.
 *
 *   node services/tools/bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export function selfTimes(profile: CpuProfile): {
  byFunction: Map<string, number>;
  byFile: Map<string, number>;
  totalMs: number;
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    totalMs += ms;
    const file = frame.url.replace(/^file:\/\/.*?\/(node_modules|services|shared)\//, '$1/') || '(native)';
    const fn = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  });
  return { byFunction, byFile, totalMs };
}

if (import.meta.main) {
  const [file, topText = '25'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node services/tools/bench/profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const { byFunction, byFile, totalMs } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const top = Number(topText);
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `${ms.toFixed(0).padStart(8)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${name}`,
      );
  };
  console.log(`total sampled: ${totalMs.toFixed(0)} ms`);
  print('self time by file', byFile);
  print('self time by function', byFunction);
}
