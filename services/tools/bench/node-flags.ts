/**
 * The V8 flags the benchmark's processes run with, so that a measured stage sees the heap it has
 * on Lambda (and the memory bound is checked under a cap below it).
 */
import { pipelineResources } from '../../../shared/config/resources.ts';

/** V8 old-space limit of the stage probes (BENCH_STAGE_HEAP_MB; default as a 512 MB Lambda). */
export const STAGE_HEAP_MB = Number(process.env.BENCH_STAGE_HEAP_MB ?? 410);
const FUNCTIONS = pipelineResources().functions;
/**
 * V8's young generation as Lambda sizes it: the Node.js runtime's bootstrap starts node with
 * `--max-semi-space-size` at 5% of the function's memory (25 MB at 512 MB, 51 MB at 1,024 MB).
 * Node's own default is smaller; with it the stages, which allocate a short-lived object per
 * value, ran more scavenges and promoted more to old space than they do on Lambda (scale 1:
 * the local full load's transform 0.56-0.61 s with the default, 0.44-0.45 s at 25 MB).
 */
export const lambdaSemiSpaceMb = (memoryMb: number): number => Math.floor((memoryMb * 5) / 100);
/** The local runtime hosts all three functions in one process: the smallest one's semi-space. */
export const RUNTIME_SEMI_SPACE_MB = lambdaSemiSpaceMb(
  Math.min(...Object.values(FUNCTIONS).map((f) => f.memoryMb)),
);

/** The V8 flags of a probe: a stage as its Lambda, a full load as the local runtime. */
export function probeFlags(kind: string): string[] {
  if (kind === 'extract' || kind === 'transform' || kind === 'load')
    return [
      `--max-old-space-size=${STAGE_HEAP_MB}`,
      `--max-semi-space-size=${lambdaSemiSpaceMb(FUNCTIONS[kind].memoryMb)}`,
    ];
  if (kind === 'full-load') return [`--max-semi-space-size=${RUNTIME_SEMI_SPACE_MB}`];
  return [];
}
