import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envCommand } from '../../../services/tools/cli/commands/env.ts';
import { CliError } from '../../../services/tools/cli/errors.ts';
import { resolvePrefix } from '../../../services/tools/cli/options.ts';
import { writeRuntimeFiles } from '../../../services/tools/local-runtime/runtime-file.ts';
import { lockStateFolder } from '../../../services/tools/local-runtime/state-lock.ts';
import { pgVariables, renderExports, shellQuote } from '../../../services/tools/ops/env/variables.ts';
import { textSink } from '../../support/text-sink.ts';

/** What a POSIX shell makes of `eval "$(exports)"`, read back variable by variable. */
function evalInShell(exports: string, names: readonly string[]): string[] {
  const script = `eval "$EXPORTS"; for n in ${names.join(' ')}; do eval "printf '%s\\0' \\"\\$$n\\""; done`;
  const out = execFileSync('sh', ['-c', script], { env: { PATH: process.env.PATH, EXPORTS: exports } });
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('totes env', () => {
  it('quotes every value so the shell gets it back byte for byte', () => {
    const nasty = [`it's`, '$(touch /tmp/pwned)', '`id`', 'a "b" \\c', 'line\nbreak', '', 'ünï €'];
    const vars = Object.fromEntries(nasty.map((v, i) => [`V${i}`, v]));
    expect(evalInShell(renderExports(vars), Object.keys(vars))).toEqual(nasty);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('splits a warehouse URL into libpq variables, decoded', () => {
    expect(pgVariables('postgres://tot%40es:p%27w%20d@127.0.0.1:5433/ware%20house')).toEqual({
      PGHOST: '127.0.0.1',
      PGPORT: '5433',
      PGUSER: 'tot@es',
      PGPASSWORD: "p'w d",
      PGDATABASE: 'ware house',
    });
    expect(pgVariables('postgres://[::1]/w')).toEqual({ PGHOST: '::1', PGPORT: '5432', PGDATABASE: 'w' });
  });

  describe('against a state folder', () => {
    let stateDir: string;
    beforeEach(() => {
      stateDir = mkdtempSync(path.join(tmpdir(), 'totes-env-'));
    });
    afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

    it('refuses when no stack runs there (exit 2), starting nothing', async () => {
      const refused = await envCommand({ stateDir, pg: true }, textSink().stream).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(CliError);
      expect((refused as CliError).exitCode).toBe(2);
      expect((refused as Error).message).toMatch(/no totes stack runs on .*: start one/);
    });

    it('prints the running stack endpoints, URLs, dummy credentials and PG* (or not)', async () => {
      // A running stack as the runtime leaves it: the folder's lock held in phase running, the
      // runtime files (URLs with passwords only in the private secrets file).
      const lock = await lockStateFolder(stateDir, 'test stack', 'running');
      try {
        writeRuntimeFiles(
          stateDir,
          {
            pid: process.pid,
            startedAt: new Date().toISOString(),
            stateDir,
            phase: 'running',
            prefix: 'totes',
            endpoints: {
              s3: 'http://127.0.0.1:1001',
              sqs: 'http://127.0.0.1:1001',
              dynamodb: 'http://127.0.0.1:1002',
            },
          },
          {
            sourceUrl: 'postgres://totes:pw@127.0.0.1:1003/totesys',
            warehouseUrl: 'postgres://totes:pw@127.0.0.1:1003/warehouse',
          },
        );
        await expectVariables();
      } finally {
        await lock.release();
      }
    });

    async function expectVariables(): Promise<void> {
      const out = textSink();
      await envCommand({ stateDir, pg: true }, out.stream);
      const names = [
        'WAREHOUSE_URL',
        'AWS_ENDPOINT_URL_S3',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_REGION',
        'AWS_ACCESS_KEY_ID',
        'PGPORT',
        'PGDATABASE',
        'TOTES_STATE_DIR',
      ];
      expect(evalInShell(out.text(), names)).toEqual([
        'postgres://totes:pw@127.0.0.1:1003/warehouse',
        'http://127.0.0.1:1001',
        'http://127.0.0.1:1002',
        'eu-west-2',
        'local',
        '1003',
        'warehouse',
        stateDir,
      ]);
      const without = textSink();
      await envCommand({ stateDir, pg: false, json: true }, without.stream);
      const json = JSON.parse(without.text()) as Record<string, string>;
      expect(json.TOTESYS_URL).toBe('postgres://totes:pw@127.0.0.1:1003/totesys');
      expect(Object.keys(json).filter((k) => k.startsWith('PG'))).toEqual([]);
      const unset = textSink();
      await envCommand({ stateDir, pg: true, unset: true }, unset.stream);
      expect(unset.text()).toMatch(
        /^unset TOTES_STATE_DIR TOTESYS_URL WAREHOUSE_URL AWS_ENDPOINT_URL_S3 .* PGDATABASE\n$/,
      );
    }
  });
});

describe('--prefix', () => {
  it('comes from the flag, else TOTES_PREFIX, else totes, and must be a Terraform prefix', () => {
    expect(resolvePrefix({ prefix: 'acme-prod' }, { TOTES_PREFIX: 'other' })).toBe('acme-prod');
    expect(resolvePrefix({}, { TOTES_PREFIX: 'other' })).toBe('other');
    expect(resolvePrefix({}, {})).toBe('totes');
    expect(() => resolvePrefix({}, { TOTES_PREFIX: 'Has Spaces' })).toThrow(
      /TOTES_PREFIX: "Has Spaces" is not a deployment prefix/,
    );
    expect(() => resolvePrefix({ prefix: 'a' }, {})).toThrow(/--prefix/);
  });
});
