import { Writable } from 'node:stream';
import {
  CannotRunError,
  EXIT,
  exitCodeOf,
  expectedErrorMessage,
  ProblemFoundError,
  UsageError,
} from '../../../services/tools/cli/errors.ts';
import {
  colourEnabled,
  enterJsonMode,
  errorDocument,
  paint,
  paintState,
  writeJson,
  writeResult,
} from '../../../services/tools/cli/output.ts';

const terminal = { isTTY: true, hasColors: () => true };

describe('colour', () => {
  it('only on a terminal with colours, never with NO_COLOR set', () => {
    expect(colourEnabled(terminal, {})).toBe(true);
    expect(colourEnabled(terminal, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(terminal, { NO_COLOR: '' })).toBe(true); // no-color.org: set and not empty
    expect(colourEnabled({ isTTY: false, hasColors: () => true }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true, hasColors: () => false }, {})).toBe(false);
  });

  it('paints with ANSI codes where enabled, returns the text unchanged elsewhere', () => {
    expect(paint('red', 'ALARM', terminal, {})).toBe('\u001b[31mALARM\u001b[39m');
    expect(paint('red', 'ALARM', terminal, { NO_COLOR: '1' })).toBe('ALARM');
    expect(paintState('OK', terminal, {})).toBe('\u001b[32mOK\u001b[39m');
    expect(paintState('ALARM', { isTTY: false }, {})).toBe('ALARM');
    expect(paintState('whatever', terminal, {})).toBe('whatever');
  });
});

describe('--json output', () => {
  function sink() {
    let text = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    return { stream, text: () => text };
  }

  it('writeResult writes the document or the text, never both', () => {
    const json = sink();
    writeResult(true, { a: 1 }, () => 'text', json.stream);
    expect(json.text()).toBe('{"a":1}\n');
    const text = sink();
    writeResult(false, { a: 1 }, () => 'text', text.stream);
    expect(text.text()).toBe('text\n');
  });

  it('in JSON mode, other writes to stdout go to stderr and only one document reaches stdout', () => {
    const written: { out: string[]; err: string[] } = { out: [], err: [] };
    const original = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) =>
      written.out.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) =>
      written.err.push(String(chunk)) > 0) as typeof process.stderr.write;
    const leave = enterJsonMode();
    try {
      process.stdout.write('a text summary\n');
      console.log('a console line');
      writeJson({ loaded: 3 });
      expect(() => writeJson({ again: true })).toThrow(/second JSON document/);
      process.stdout.write('{"another": "document"}\n');
    } finally {
      leave();
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }
    expect(written.out).toEqual(['{"loaded":3}\n']);
    expect(written.err.join('')).toContain('a text summary\n');
    expect(written.err.join('')).toContain('a console line');
    expect(written.err.join('')).toContain('{"another": "document"}');
  });

  it('a command writing its JSON itself (before writeJson existed) still gets it onto stdout, once', () => {
    const written: { out: string[]; err: string[] } = { out: [], err: [] };
    const original = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) =>
      written.out.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) =>
      written.err.push(String(chunk)) > 0) as typeof process.stderr.write;
    const leave = enterJsonMode();
    try {
      process.stdout.write('checking 3 tables\n');
      process.stdout.write(`${JSON.stringify([{ table: 'dim_staff', ok: true }])}\n`);
      process.stdout.write(`${JSON.stringify({ late: true })}\n`);
    } finally {
      leave();
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }
    expect(written.out).toEqual(['[{"table":"dim_staff","ok":true}]\n']);
    expect(written.err).toEqual(['checking 3 tables\n', '{"late":true}\n']);
  });

  it('the error document names the message and the exit code', () => {
    expect(errorDocument('no warehouse', 2)).toEqual({ error: { message: 'no warehouse', exitCode: 2 } });
  });
});

describe('exit codes', () => {
  it('1 for a problem found, 2 for usage errors and anything that could not run, 70 for a bug', () => {
    expect(exitCodeOf(new ProblemFoundError('a mismatch'))).toBe(EXIT.problemFound);
    expect(exitCodeOf(new UsageError('bad flag'))).toBe(EXIT.cannotRun);
    expect(exitCodeOf(new CannotRunError('unreachable'))).toBe(EXIT.cannotRun);
    expect(exitCodeOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(2);
    expect(exitCodeOf(new TypeError('undefined is not a function'))).toBe(EXIT.bug);
  });

  it("the local runtime's state-folder claims are expected errors: one line, exit 2, matched by name", () => {
    // As services/tools/local-runtime/aws/state-claim.ts and stack.ts define them (not imported:
    // the CLI does not pin the claim's module).
    for (const name of [
      'StateDirInUseError',
      'RuntimeBusyError',
      'StateDirLockedError',
      'MigrationChecksumError',
    ]) {
      const error = Object.assign(new Error(`state folder /w/.totes is in use by process 42`), { name });
      expect(expectedErrorMessage(error)).toBe('state folder /w/.totes is in use by process 42');
      expect(exitCodeOf(error)).toBe(2);
    }
  });
});
