import { Console } from 'node:console';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/**
 * The test environment of `npm test` (jest.config.js): Node's, plus a quiet run. Everything the
 * code under test prints (Powertools' JSON logs and EMF metrics, console.log, stray writes to
 * stdout/stderr) is held per test; a passing test's output is dropped, a failing test's (and a
 * failing hook's) is printed on stderr under a header naming it, with whatever its beforeAll /
 * beforeEach printed. Tests that read the output themselves (patching process.stdout.write)
 * still see it: they patch on top of this.
 *
 * TOTES_TEST_VERBOSE=1 turns it off (everything is printed as it happens).
 */

type Write = NodeJS.WriteStream['write'];

export default class QuietEnvironment extends TestEnvironment {
  private held: string[] = [];
  private original: { stdout: Write; stderr: Write } | undefined;
  private readonly verbose = process.env.TOTES_TEST_VERBOSE === '1';

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
  }

  override async setup(): Promise<void> {
    await super.setup();
    if (this.verbose) return;
    const original = { stdout: process.stdout.write, stderr: process.stderr.write };
    this.original = original;
    const hold = ((chunk: unknown, ...rest: unknown[]) => {
      this.held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as Write;
    process.stdout.write = hold;
    process.stderr.write = hold;
  }

  override async teardown(): Promise<void> {
    if (this.original) {
      process.stdout.write = this.original.stdout;
      process.stderr.write = this.original.stderr;
      this.original = undefined;
    }
    this.held = [];
    await super.teardown();
  }

  handleTestEvent(event: Circus.Event): void {
    if (this.verbose) return;
    switch (event.name) {
      case 'run_start':
        // Jest's console (set after the environment) prints outside the test; this one is held.
        this.global.console = new Console({ stdout: process.stdout, stderr: process.stderr });
        break;
      case 'test_done':
        if (event.test.errors.length > 0)
          this.release(`output of the failing test "${fullName(event.test)}"`);
        else this.held = [];
        break;
      case 'hook_failure':
        this.release(`output up to the failing ${event.hook.type} hook`);
        break;
      default:
        break;
    }
  }

  /** Prints what was held, on the real stderr, under a header. */
  private release(header: string): void {
    const text = this.held.join('');
    this.held = [];
    if (text === '' || !this.original) return;
    const write = this.original.stderr.bind(process.stderr) as (chunk: string) => boolean;
    write(`\n----- ${header} -----\n${text}${text.endsWith('\n') ? '' : '\n'}----- end of output -----\n`);
  }
}

function fullName(test: Circus.TestEntry): string {
  const names: string[] = [test.name];
  for (
    let block: Circus.DescribeBlock | undefined = test.parent;
    block && block.name !== 'ROOT_DESCRIBE_BLOCK';
    block = block.parent
  ) {
    names.unshift(block.name);
  }
  return names.join(' › ');
}
