import {
  lambdaSemiSpaceMb,
  probeFlags,
  RUNTIME_SEMI_SPACE_MB,
  STAGE_HEAP_MB,
} from '../../../services/tools/bench/node-flags.ts';
import { pipelineResources } from '../../../shared/config/resources.ts';

describe('the benchmark processes’ V8 flags', () => {
  it("size the young generation as Lambda's Node.js runtime does: 5% of the function's memory", () => {
    expect(lambdaSemiSpaceMb(512)).toBe(25);
    expect(lambdaSemiSpaceMb(1024)).toBe(51);
    expect(lambdaSemiSpaceMb(128)).toBe(6);
  });

  it('give each stage probe its function’s semi-space under the old-space cap, the full load the smallest', () => {
    const memory = pipelineResources().functions;
    for (const stage of ['extract', 'transform', 'load'] as const) {
      expect(probeFlags(stage)).toEqual([
        `--max-old-space-size=${STAGE_HEAP_MB}`,
        `--max-semi-space-size=${lambdaSemiSpaceMb(memory[stage].memoryMb)}`,
      ]);
    }
    expect(probeFlags('transform')).toContain('--max-semi-space-size=51');
    expect(RUNTIME_SEMI_SPACE_MB).toBe(25);
    expect(probeFlags('full-load')).toEqual(['--max-semi-space-size=25']);
    expect(probeFlags('seed')).toEqual([]);
    expect(probeFlags('duckdb')).toEqual([]);
  });
});
