import type { Command } from 'commander';
import { attachLocalStack } from '../../local-runtime/attach.ts';
import { collectStatus, renderStatus } from '../../ops/status/collect.ts';
import {
  addExamples,
  addSourceUrlOption,
  addStateDirOption,
  addWarehouseUrlOption,
  optionalSourceUrl,
  optionalWarehouseUrl,
  resolveStateDir,
  type SourceUrlOption,
  type StateDirOption,
  type WarehouseUrlOption,
} from '../options.ts';
import { writeResult } from '../output.ts';

interface StatusOptions extends SourceUrlOption, WarehouseUrlOption, StateDirOption {
  readonly json?: boolean;
}

export async function statusCommand(
  options: StatusOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const stack = await attachLocalStack({
    stateDir: resolveStateDir(options),
    sourceUrl: optionalSourceUrl(options),
    warehouseUrl: optionalWarehouseUrl(options),
  });
  try {
    const status = await collectStatus(stack);
    writeResult(options.json, status, () => renderStatus(status), out);
  } finally {
    await stack.detach();
  }
}

export function register(program: Command): void {
  const command = program
    .command('status')
    .description(
      'queues and DLQs (depth, oldest age), watermarks, latest runs, warehouse rows per table and freshness of the local stack; works while `npm start` runs and when nothing runs',
    );
  addStateDirOption(command);
  addSourceUrlOption(command, false);
  addWarehouseUrlOption(command, false);
  command.option('--json', 'print one JSON object (with `warehouse`: table → rows)');
  addExamples(command, [
    ['totes status', 'the local stack in ./.totes, running or not'],
    ['totes status --json | jq .warehouse', 'warehouse rows per table'],
    ['TOTES_STATE_DIR=/tmp/t totes status', 'another state folder'],
  ]);
  command.action((options: StatusOptions) => statusCommand(options));
}
