/**
 * `node services/tools/bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--top N]`:
 * what grew between two V8 heap snapshots of the same process (e.g. `npm start` run with
 * `node --heapsnapshot-signal=SIGUSR2`, signalled twice a few minutes apart).
 *
 * Prints, per constructor (or node type for strings, code, arrays...), the count and self size in
 * each snapshot and the difference, largest growth first, plus what of the second snapshot was
 * allocated after the first (node ids are stable within one process): the objects that are both
 * new and still alive are where a leak shows.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface GroupStats {
  count: number;
  bytes: number;
}

export interface SnapshotSummary {
  readonly groups: Map<string, GroupStats>;
  readonly ids: Set<number>;
  readonly totalBytes: number;
}

/** Groups a snapshot's nodes by "type:name" for objects/closures, by type for the rest. */
export function summarise(raw: RawSnapshot, onlyIdsNotIn?: Set<number>): SnapshotSummary {
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const idAt = fields.indexOf('id');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, GroupStats>();
  const ids = new Set<number>();
  let totalBytes = 0;
  for (let i = 0; i < raw.nodes.length; i += width) {
    const id = raw.nodes[i + idAt]!;
    ids.add(id);
    if (onlyIdsNotIn?.has(id)) continue;
    const type = types[raw.nodes[i + typeAt]!] ?? 'unknown';
    const size = raw.nodes[i + sizeAt]!;
    const name = raw.strings[raw.nodes[i + nameAt]!] ?? '';
    const group = type === 'object' || type === 'closure' ? `${type}:${name}` : type;
    const stats = groups.get(group) ?? { count: 0, bytes: 0 };
    stats.count++;
    stats.bytes += size;
    groups.set(group, stats);
    totalBytes += size;
  }
  return { groups, ids, totalBytes };
}

const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  if (positionals.length !== 2) {
    console.error(
      'usage: node services/tools/bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--top N]',
    );
    return 2;
  }
  const top = Number(values.top);
  const before = summarise(load(positionals[0]!));
  const afterRaw = load(positionals[1]!);
  const after = summarise(afterRaw);
  const born = summarise(afterRaw, before.ids);
  console.log(`self size: before ${mb(before.totalBytes)} MB, after ${mb(after.totalBytes)} MB`);
  console.log(`allocated after the first snapshot and still alive: ${mb(born.totalBytes)} MB\n`);
  const rows = [...new Set([...before.groups.keys(), ...after.groups.keys()])].map((group) => {
    const b = before.groups.get(group) ?? { count: 0, bytes: 0 };
    const a = after.groups.get(group) ?? { count: 0, bytes: 0 };
    const n = born.groups.get(group) ?? { count: 0, bytes: 0 };
    return { group, b, a, n, growth: a.bytes - b.bytes };
  });
  rows.sort((x, y) => y.growth - x.growth);
  console.log('growth MB  before(count/MB)      after(count/MB)       new-alive(count/MB)  group');
  for (const r of rows.slice(0, top)) {
    console.log(
      [
        mb(r.growth).padStart(9),
        `${r.b.count}/${mb(r.b.bytes)}`.padEnd(21),
        `${r.a.count}/${mb(r.a.bytes)}`.padEnd(21),
        `${r.n.count}/${mb(r.n.bytes)}`.padEnd(20),
        r.group.slice(0, 80),
      ].join(' '),
    );
  }
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
