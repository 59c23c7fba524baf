/**
 * The state folder under attack and misuse (issue 19, "startup window" and "credentials and
 * permissions"), against a real `totes start` on 127.0.0.1: one kernel lock per folder, nothing
 * signalled that the caller did not start, no password where others (or runtime.json) can read
 * it, files 0600 and folders 0700, PostgreSQL's socket not in /tmp.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  embeddedPassword,
  LEGACY_PASSWORD,
  stopOrphanedServer,
} from '../../../services/tools/local-runtime/embedded-postgres.ts';
import { writeRuntimeFiles } from '../../../services/tools/local-runtime/runtime-file.ts';
import { prepareStateFolder } from '../../../services/tools/local-runtime/stack.ts';
import {
  lockStateFolder,
  StateFolderInUseError,
  stateFolderHolder,
} from '../../../services/tools/local-runtime/state-lock.ts';
import { runTotes, TOTES_BIN } from '../../support/cli.ts';
import { waitForRuntimeFile } from '../../support/runtime-file.ts';
import { modeOf, type Sandbox, sandbox } from './support.ts';

const asRoot = process.getuid?.() === 0;

interface Started {
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  stderr(): string;
}

function startTotes(stateDir: string): Started {
  const { WAREHOUSE_URL: _w, TOTESYS_URL: _t, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      TOTES_BIN,
      'start',
      '--state-dir',
      stateDir,
      '--scale',
      '0.01',
      '--simulate-rate',
      '0',
      '--every',
      '3600',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exit, stderr: () => stderr };
}

/** Resolves when `runtime.json` says the stack is running; rejects once both starts have exited. */
const runningInfo = (stateDir: string, exits: Promise<unknown>[]) =>
  waitForRuntimeFile(
    stateDir,
    (info) => info.phase === 'running',
    Promise.all(exits),
    () => 'no start reached running',
  );

function walk(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    found.push(full);
    if (entry.isDirectory()) found.push(...walk(full));
  }
  return found;
}

describe('a running local stack cannot be turned against its host', () => {
  let box: Sandbox;
  let winner: Started | undefined;
  let loser: Started | undefined;
  let info: Record<string, unknown>;
  let before: string[];

  beforeAll(async () => {
    box = sandbox('stack');
    before = box.outside();
    // Two starts at once on a fresh folder: exactly one wins the lock.
    const a = startTotes(box.stateDir);
    const b = startTotes(box.stateDir);
    const first = await Promise.race([
      a.exit.then(() => a),
      b.exit.then(() => b),
      runningInfo(box.stateDir, [a.exit, b.exit]).then(() => undefined),
    ]);
    if (first) {
      loser = first;
      winner = first === a ? b : a;
    }
    info = await runningInfo(box.stateDir, [a.exit, b.exit]);
    if (!loser) {
      loser = info.pid === a.child.pid ? b : a;
      winner = loser === a ? b : a;
      await loser.exit;
    }
  }, 600_000);

  afterAll(async () => {
    if (winner && winner.child.exitCode === null) {
      winner.child.kill('SIGINT');
      await winner.exit;
    }
    const pointer = path.join(box.stateDir, 'postgres.location');
    if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
    box.remove();
  });

  test('two starts at once: the loser exits 2 with one line naming the holder, no initdb trace', async () => {
    expect(await loser!.exit).toBe(2);
    const lines = loser!
      .stderr()
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('totes:'));
    expect(lines).toEqual([
      expect.stringMatching(/^totes: state folder .* in use by pid \d+ \(started .*\)$/),
    ]);
    expect(loser!.stderr()).not.toMatch(/initdb|\n\s+at /);
    expect(info.pid).toBe(winner!.child.pid);
    expect(winner!.child.exitCode).toBeNull();
  });

  test('runtime.json and every secret file are 0600 and hold no password; folders 0700', () => {
    const runtime = readFileSync(path.join(box.stateDir, 'runtime.json'), 'utf8');
    const secrets = JSON.parse(readFileSync(path.join(box.stateDir, 'runtime-secrets.json'), 'utf8')) as {
      sourceUrl: string;
    };
    const password = decodeURIComponent(new URL(secrets.sourceUrl).password);
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(password).not.toBe(LEGACY_PASSWORD);
    expect(runtime).not.toContain(password);
    expect(String(info.sourceUrl)).toMatch(/^postgres:\/\/totes@127\.0\.0\.1:\d+\/totesys$/);
    for (const file of walk(path.join(box.stateDir, 'logs'))) {
      expect(readFileSync(file, 'utf8')).not.toContain(password);
    }
    // As root, the folder holding PostgreSQL's data is passable (0711) for its system user; when
    // the data lives elsewhere (postgres.location), the state folder stays 0700.
    const dataHere = !existsSync(path.join(box.stateDir, 'postgres.location'));
    expect(modeOf(box.stateDir)).toBe(asRoot && dataHere ? 0o711 : 0o700);
    const loose = walk(box.stateDir)
      .filter((p) => !lstatSync(p).isSocket())
      .map((p) => ({ p: path.relative(box.stateDir, p), mode: modeOf(p), dir: lstatSync(p).isDirectory() }))
      .filter(({ p, mode, dir }) => !p.startsWith(`postgres${path.sep}`) && mode !== (dir ? 0o700 : 0o600));
    expect(loose).toEqual([]);
  });

  test('PostgreSQL: random password, 127.0.0.1 only, its socket in a private folder, not /tmp', async () => {
    const secrets = JSON.parse(readFileSync(path.join(box.stateDir, 'runtime-secrets.json'), 'utf8')) as {
      warehouseUrl: string;
    };
    const client = new pg.Client({ connectionString: secrets.warehouseUrl });
    await client.connect();
    try {
      const socketDir = (await client.query('SHOW unix_socket_directories')).rows[0].unix_socket_directories;
      const listen = (await client.query('SHOW listen_addresses')).rows[0].listen_addresses;
      expect(listen).toBe('127.0.0.1');
      const pointer = path.join(box.stateDir, 'postgres.location');
      const home = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : box.stateDir;
      expect(socketDir).toBe(path.join(home, 'pg-socket'));
      expect(modeOf(socketDir)).toBe(0o700);
      expect(modeOf(path.join(home, 'postgres-password'))).toBe(0o600);
      expect(existsSync(`/tmp/.s.PGSQL.${new URL(secrets.warehouseUrl).port}`)).toBe(false);
      // The old fixed credentials no longer open it.
      const legacy = new URL(secrets.warehouseUrl);
      legacy.password = LEGACY_PASSWORD;
      const intruder = new pg.Client({ connectionString: legacy.toString() });
      await expect(intruder.connect()).rejects.toMatchObject({ code: '28P01' });
      await intruder.end().catch(() => undefined);
    } finally {
      await client.end();
    }
  });

  test('bucket-name attacks on the running stack are refused; nothing outside the folder changes', async () => {
    const s3 = (info.endpoints as { s3: string }).s3;
    // An object of the lake, to see that no attack (`DELETE /` included) removed it.
    const lakeObject = path.join(box.stateDir, 'aws', 's3', 'totes-ingestion', 'sentinel', 'object.json');
    expect(
      (await fetch(`${s3}/totes-ingestion/sentinel/object.json`, { method: 'PUT', body: '{}' })).status,
    ).toBe(200);
    expect(existsSync(lakeObject)).toBe(true);
    for (const [method, rawPath] of [
      ['PUT', '/..%2F..%2Fdecoy2'],
      ['PUT', '/..%2F..%2Fdecoy2/x.txt'],
      ['DELETE', '/..%2F..%2Fneighbour'],
      ['PUT', '/'],
      ['DELETE', '/'],
    ] as const) {
      const response = await fetch(`${s3}${rawPath}`, { method, ...(method === 'PUT' ? { body: 'x' } : {}) });
      expect({ rawPath, status: response.status }).toEqual({ rawPath, status: 400 });
      expect(await response.text()).toContain('InvalidBucketName');
    }
    expect(box.outside()).toEqual(before);
    expect(existsSync(lakeObject)).toBe(true);
  });

  test('totes status attaches to the running stack; a second start is refused with exit 2', async () => {
    const status = await runTotes(['status', '--state-dir', box.stateDir]);
    expect(status.stderr).not.toMatch(/\n\s+at /);
    expect(status.code).toBe(0);
    const second = await runTotes(['start', '--state-dir', box.stateDir, '--scale', '0.01']);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n').at(-1)).toMatch(/in use by pid \d+/);
    expect(winner!.child.exitCode).toBeNull();
  });
});

describe('the state folder lock', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox('lock');
    mkdirSync(box.stateDir);
  });
  afterEach(() => box.remove());

  test('a command during a start is refused with one line and signals nothing it did not start', async () => {
    // A start in progress: the lock in phase "starting", and a "postmaster" that is not ours.
    const lock = await lockStateFolder(box.stateDir, 'local stack');
    const bystander = spawn('sleep', ['300']);
    try {
      writeRuntimeFiles(box.stateDir, {
        pid: process.pid,
        startedAt: lock.holder().startedAt,
        stateDir: box.stateDir,
        phase: 'starting',
      });
      mkdirSync(path.join(box.stateDir, 'postgres'));
      writeFileSync(path.join(box.stateDir, 'postgres', 'PG_VERSION'), '17\n');
      writeFileSync(path.join(box.stateDir, 'postgres', 'postmaster.pid'), `${bystander.pid}\n`);
      const status = await runTotes(['status', '--state-dir', box.stateDir]);
      expect(status.code).toBe(2);
      expect(status.stderr.trim()).toMatch(
        new RegExp(
          `^totes: state folder .* in use by pid ${process.pid} \\(started .*; local stack, still starting\\)$`,
        ),
      );
      // Even called directly, the orphan sweep leaves a process that is not this folder's postmaster.
      await stopOrphanedServer(path.join(box.stateDir, 'postgres'), 2_000);
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill();
      await lock.release();
    }
  });

  test('the kernel releases the lock when its holder is killed with SIGKILL', async () => {
    const holderScript = `
      const { lockStateFolder } = await import(${JSON.stringify(new URL('../../../services/tools/local-runtime/state-lock.ts', import.meta.url).href)});
      await lockStateFolder(process.argv[1], 'holder', 'running');
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
    `;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', holderScript, box.stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(holder.stdout!, 'data');
    await expect(lockStateFolder(box.stateDir, 'second')).rejects.toBeInstanceOf(StateFolderInUseError);
    expect(await stateFolderHolder(box.stateDir)).toMatchObject({ pid: holder.pid, phase: 'running' });
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(await stateFolderHolder(box.stateDir)).toBeUndefined();
    const lock = await lockStateFolder(box.stateDir, 'after');
    await lock.release();
  });

  test('an older state folder is tightened (0755 → 0700, 0644 → 0600) and keeps its cluster password', () => {
    chmodSync(box.stateDir, 0o755);
    writeFileSync(path.join(box.stateDir, 'runtime.json'), '{}', { mode: 0o644 });
    chmodSync(path.join(box.stateDir, 'runtime.json'), 0o644);
    prepareStateFolder(box.stateDir);
    expect(modeOf(box.stateDir)).toBe(0o711 & modeOf(box.stateDir));
    expect(modeOf(box.stateDir) & 0o066).toBe(0);
    writeRuntimeFiles(box.stateDir, { pid: 1, startedAt: 'x', stateDir: box.stateDir, phase: 'starting' });
    expect(modeOf(path.join(box.stateDir, 'runtime.json'))).toBe(0o600);
    // A cluster initialised by an older version (PG_VERSION, no password file) keeps "totes".
    const dataDir = path.join(box.stateDir, 'postgres');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '17\n');
    expect(embeddedPassword(dataDir)).toBe(LEGACY_PASSWORD);
    expect(modeOf(path.join(box.stateDir, 'postgres-password'))).toBe(0o600);
    // A new cluster gets a random one.
    const fresh = path.join(box.root, 'fresh', 'postgres');
    mkdirSync(fresh, { recursive: true });
    expect(embeddedPassword(fresh)).toMatch(/^[0-9a-f]{48}$/);
  });
});
