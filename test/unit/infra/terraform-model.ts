/**
 * Just enough of Terraform's evaluation to test infra-terraform/ without providers: every .tf file
 * is parsed with @cdktf/hcl2json, and attribute values are evaluated for the variables' defaults:
 * references to `var.*`, `local.*`, `each.key` / `each.value.*` and `path.module`, string
 * templates, integer arithmetic, and `jsonencode({...})` (whose argument is parsed as HCL again).
 * A reference to a resource or data source evaluates to its address, e.g.
 * `aws_sqs_queue.dlq["load"].arn`, so tests can follow it to the instance it names. Anything else
 * (conditionals, function calls) stays the `${...}` text it was.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

export type Value = unknown;
type Block = Record<string, unknown>;

/** Every resource of a type: `resources[type][name]` is the (single) block. */
export interface TerraformModule {
  readonly dir: string;
  readonly files: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, Readonly<Record<string, Block>>>>;
  readonly data: Readonly<Record<string, Readonly<Record<string, Block>>>>;
  readonly locals: Readonly<Record<string, Value>>;
  readonly variables: Readonly<Record<string, Block>>;
  readonly outputs: Readonly<Record<string, Block>>;
  readonly jsonencoded: ReadonlyMap<string, Value>;
}

export interface Instance {
  /** `type.name` or `type.name["key"]` */
  readonly address: string;
  readonly key: string | undefined;
  /** The block's attributes and nested blocks, evaluated. */
  readonly attrs: Record<string, Value>;
}

/** Marks a value that stands for a resource instance (each.value of `for_each = aws_x.y`). */
class InstanceRef {
  readonly address: string;
  constructor(address: string) {
    this.address = address;
  }
}
/** A whole resource with for_each (as in `for_each = aws_s3_bucket.lake`). */
class CollectionRef {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  constructor(kind: 'resource' | 'data', type: string, name: string) {
    this.kind = kind;
    this.type = type;
    this.name = name;
  }
}

interface Scope {
  readonly each?: { readonly key: string; readonly value: Value };
}

function singleBlock(blocks: unknown, where: string): Block {
  if (!Array.isArray(blocks) || blocks.length !== 1) throw new Error(`${where}: expected exactly one block`);
  return blocks[0] as Block;
}

/** Splits `a.b["c"][each.key].d` into segments; returns undefined if it is not a plain traversal. */
function traversal(expr: string): string[] | undefined {
  const segments: string[] = [];
  let i = 0;
  const ident = /^[A-Za-z_][\w-]*/;
  const first = ident.exec(expr);
  if (!first) return undefined;
  segments.push(first[0]);
  i = first[0].length;
  while (i < expr.length) {
    if (expr[i] === '.') {
      const m = ident.exec(expr.slice(i + 1));
      if (!m) return undefined;
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (expr[i] === '[') {
      const close = expr.indexOf(']', i);
      if (close < 0) return undefined;
      segments.push(`[${expr.slice(i + 1, close).trim()}]`);
      i = close + 1;
    } else {
      return undefined;
    }
  }
  return segments;
}

/** Positions of the `${ ... }` interpolations of a template, honouring nested braces and quotes. */
function interpolations(template: string): { start: number; end: number; expr: string }[] {
  const found: { start: number; end: number; expr: string }[] = [];
  for (let i = template.indexOf('${'); i >= 0; i = template.indexOf('${', i)) {
    let depth = 1;
    let j = i + 2;
    let quote = false;
    for (; j < template.length && depth > 0; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === '"') quote = false;
      } else if (c === '"') quote = true;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    found.push({ start: i, end: j, expr: template.slice(i + 2, j - 1) });
    i = j;
  }
  return found;
}

function jsonencodeArgument(expr: string): string | undefined {
  const m = /^jsonencode\(([\s\S]*)\)$/.exec(expr.trim());
  return m?.[1];
}

function collectJsonencoded(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') {
    for (const { expr } of interpolations(value)) {
      const arg = jsonencodeArgument(expr);
      if (arg !== undefined) out.add(arg);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) collectJsonencoded(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectJsonencoded(v, out);
  }
}

export async function loadTerraform(dir: string): Promise<TerraformModule> {
  const files: Record<string, string> = {};
  const resources: Record<string, Record<string, Block>> = {};
  const data: Record<string, Record<string, Block>> = {};
  const locals: Record<string, Value> = {};
  const variables: Record<string, Block> = {};
  const outputs: Record<string, Block> = {};
  const raw = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    files[file] = text;
    const json = await parse(file, text);
    collectJsonencoded(json, raw);
    for (const [kind, target] of [
      ['resource', resources],
      ['data', data],
    ] as const) {
      for (const [type, byName] of Object.entries(
        (json[kind] ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        target[type] ??= {};
        for (const [name, blocks] of Object.entries(byName)) {
          if (target[type][name]) throw new Error(`${kind} ${type}.${name} declared twice`);
          target[type][name] = singleBlock(blocks, `${file}: ${type}.${name}`);
        }
      }
    }
    for (const block of (json.locals ?? []) as Block[]) {
      for (const [name, value] of Object.entries(block)) {
        if (name in locals) throw new Error(`local.${name} declared twice`);
        locals[name] = value;
      }
    }
    for (const [name, blocks] of Object.entries((json.variable ?? {}) as Record<string, unknown>)) {
      variables[name] = singleBlock(blocks, `${file}: variable ${name}`);
    }
    for (const [name, blocks] of Object.entries((json.output ?? {}) as Record<string, unknown>)) {
      outputs[name] = singleBlock(blocks, `${file}: output ${name}`);
    }
  }
  const jsonencoded = new Map<string, Value>();
  for (const arg of raw) {
    const parsed = await parse('jsonencode.tf', `value = ${arg}\n`);
    jsonencoded.set(arg, parsed.value);
  }
  return { dir, files, resources, data, locals, variables, outputs, jsonencoded };
}

const UNRESOLVED = Symbol('unresolved');

export class Evaluator {
  /**
   * `overrides` gives the value of locals this evaluator cannot compute (for expressions,
   * jsondecode(file(...))); a test that overrides a local must also pin its expression text.
   */
  readonly module: TerraformModule;
  readonly overrides: Readonly<Record<string, Value>>;

  constructor(module: TerraformModule, overrides: Readonly<Record<string, Value>> = {}) {
    this.module = module;
    this.overrides = overrides;
  }

  /** Evaluates any attribute value (strings, lists, objects, nested blocks). */
  value(value: Value, scope: Scope = {}): Value {
    if (typeof value === 'string') return this.template(value, scope);
    if (Array.isArray(value)) return value.map((v) => this.value(v, scope));
    if (
      value &&
      typeof value === 'object' &&
      !(value instanceof InstanceRef) &&
      !(value instanceof CollectionRef)
    ) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, scope)]));
    }
    return value;
  }

  private template(text: string, scope: Scope): Value {
    const parts = interpolations(text);
    if (parts.length === 0) return text;
    if (parts.length === 1 && parts[0]!.start === 0 && parts[0]!.end === text.length) {
      const result = this.expression(parts[0]!.expr, scope);
      return result === UNRESOLVED ? text : result;
    }
    let out = '';
    let last = 0;
    for (const part of parts) {
      out += text.slice(last, part.start);
      const result = this.expression(part.expr, scope);
      out +=
        result === UNRESOLVED || (typeof result === 'object' && result !== null)
          ? text.slice(part.start, part.end)
          : String(result);
      last = part.end;
    }
    return out + text.slice(last);
  }

  private expression(source: string, scope: Scope): Value | typeof UNRESOLVED {
    const expr = source.trim();
    const arg = jsonencodeArgument(expr);
    if (arg !== undefined) {
      const parsed = this.module.jsonencoded.get(arg);
      return parsed === undefined ? UNRESOLVED : { jsonencode: this.value(parsed, scope) };
    }
    const segments = traversal(expr);
    if (segments) return this.reference(segments, scope);
    // Integer arithmetic over references: `6 * local.functions[each.key].timeout`, `14 * 24 * 3600`.
    if (/^[\w.[\]"\s*+\-/()]+$/.test(expr) && (/[*+/]/.test(expr) || /\s-\s/.test(expr))) {
      const substituted = expr.replace(/[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]+\])*/g, (ref) => {
        const segs = traversal(ref);
        const v = segs ? this.reference(segs, scope) : UNRESOLVED;
        return typeof v === 'number' ? String(v) : 'NaN';
      });
      if (/^[\d\s*+\-/().]+$/.test(substituted)) {
        return Function(`"use strict"; return (${substituted});`)() as number;
      }
      return UNRESOLVED;
    }
    return UNRESOLVED;
  }

  private index(segment: string, scope: Scope): string | number | typeof UNRESOLVED {
    const inner = segment.slice(1, -1).trim();
    if (/^"[^"]*"$/.test(inner)) return inner.slice(1, -1);
    if (/^\d+$/.test(inner)) return Number(inner);
    const segs = traversal(inner);
    const v = segs ? this.reference(segs, scope) : UNRESOLVED;
    return typeof v === 'string' || typeof v === 'number' ? v : UNRESOLVED;
  }

  private walk(start: Value, rest: readonly string[], scope: Scope): Value | typeof UNRESOLVED {
    let current: Value = start;
    for (let i = 0; i < rest.length; i++) {
      const segment = rest[i]!;
      const key = segment.startsWith('[') ? this.index(segment, scope) : segment;
      if (key === UNRESOLVED) return UNRESOLVED;
      if (current instanceof InstanceRef) {
        return [`${current.address}.${key}`, ...rest.slice(i + 1)].join('.');
      }
      if (current instanceof CollectionRef) {
        const base = `${current.kind === 'data' ? 'data.' : ''}${current.type}.${current.name}`;
        current = segment.startsWith('[')
          ? new InstanceRef(`${base}[${JSON.stringify(key)}]`)
          : `${base}.${key}`;
        continue;
      }
      if (current && typeof current === 'object' && String(key) in current) {
        current = this.value((current as Record<string, Value>)[String(key)], scope);
      } else {
        return UNRESOLVED;
      }
    }
    return current;
  }

  reference(segments: readonly string[], scope: Scope): Value | typeof UNRESOLVED {
    const [root, ...rest] = segments;
    switch (root) {
      case 'var': {
        const variable = this.module.variables[rest[0] ?? ''];
        if (!variable || !('default' in variable)) return UNRESOLVED;
        return this.walk(this.value(variable.default), rest.slice(1), scope);
      }
      case 'local': {
        const name = rest[0] ?? '';
        if (name in this.overrides) return this.walk(this.overrides[name], rest.slice(1), scope);
        if (!(name in this.module.locals)) return UNRESOLVED;
        // Locals never see `each`: evaluate them in the module scope, then index with ours.
        return this.walk(this.value(this.module.locals[name]), rest.slice(1), scope);
      }
      case 'each': {
        if (!scope.each) return UNRESOLVED;
        if (rest[0] === 'key') return scope.each.key;
        if (rest[0] === 'value') return this.walk(scope.each.value, rest.slice(1), scope);
        return UNRESOLVED;
      }
      case 'path':
        return rest[0] === 'module' && rest.length === 1 ? this.module.dir : UNRESOLVED;
      case 'data': {
        const [type, name, ...more] = rest;
        if (!type || !name || !this.module.data[type]?.[name]) return UNRESOLVED;
        return this.walk(new CollectionRef('data', type, name), more, scope);
      }
      default: {
        const [name, ...more] = rest;
        if (!root || !name || !this.module.resources[root]?.[name]) return UNRESOLVED;
        if (more.length === 0) return new CollectionRef('resource', root, name);
        if (!this.module.resources[root][name].for_each && !more[0]!.startsWith('[')) {
          return [`${root}.${name}`, ...more].join('.');
        }
        return this.walk(new CollectionRef('resource', root, name), more, scope);
      }
    }
  }

  /** The instances of a block: one, or one per for_each key (count is not expanded). */
  instancesOf(kind: 'resource' | 'data', type: string, name: string): Instance[] {
    const table = kind === 'resource' ? this.module.resources : this.module.data;
    const block = table[type]?.[name];
    if (!block) throw new Error(`no ${kind} ${type}.${name}`);
    const base = `${kind === 'data' ? 'data.' : ''}${type}.${name}`;
    const { for_each: forEach, ...body } = block;
    if (forEach === undefined)
      return [{ address: base, key: undefined, attrs: this.value(body) as Record<string, Value> }];
    const collection = this.value(forEach);
    let entries: [string, Value][];
    if (collection instanceof CollectionRef) {
      entries = this.instancesOf(collection.kind, collection.type, collection.name).map((instance) => [
        instance.key ?? '',
        new InstanceRef(instance.address),
      ]);
    } else if (collection && typeof collection === 'object' && !Array.isArray(collection)) {
      entries = Object.entries(collection as Record<string, Value>);
    } else {
      throw new Error(`${base}: cannot evaluate for_each ${JSON.stringify(forEach)}`);
    }
    return entries.map(([key, value]) => ({
      address: `${base}[${JSON.stringify(key)}]`,
      key,
      attrs: this.value(body, { each: { key, value } }) as Record<string, Value>,
    }));
  }

  /** Every instance of every resource of a type. */
  resourcesOfType(type: string): Instance[] {
    return Object.keys(this.module.resources[type] ?? {}).flatMap((name) =>
      this.instancesOf('resource', type, name),
    );
  }

  dataOfType(type: string): Instance[] {
    return Object.keys(this.module.data[type] ?? {}).flatMap((name) => this.instancesOf('data', type, name));
  }

  /** The instance an address like `aws_sqs_queue.main["load"].arn` points at (attribute dropped). */
  instanceAt(reference: Value): Instance | undefined {
    if (typeof reference !== 'string') return undefined;
    const m = /^(data\.)?([a-z0-9_]+)\.([\w-]+)(\["[^"]*"\])?/.exec(reference);
    if (!m) return undefined;
    const kind = m[1] ? 'data' : 'resource';
    const address = `${m[1] ?? ''}${m[2]}.${m[3]}${m[4] ?? ''}`;
    const table = kind === 'resource' ? this.module.resources : this.module.data;
    if (!table[m[2]!]?.[m[3]!]) return undefined;
    return this.instancesOf(kind, m[2]!, m[3]!).find((instance) => instance.address === address);
  }
}

/** A nested block's single occurrence (`scaling_config { ... }` parses as a one-element list). */
export function block(attrs: Record<string, Value>, name: string): Record<string, Value> | undefined {
  const value = attrs[name];
  if (!Array.isArray(value)) return undefined;
  if (value.length !== 1) throw new Error(`expected one ${name} block, found ${value.length}`);
  return value[0] as Record<string, Value>;
}

/** All occurrences of a nested block, including `dynamic "<name>" { content { ... } }`. */
export function blocks(attrs: Record<string, Value>, name: string): Record<string, Value>[] {
  const direct = Array.isArray(attrs[name]) ? (attrs[name] as Record<string, Value>[]) : [];
  const dynamic = (attrs.dynamic as Record<string, Value> | undefined)?.[name];
  const fromDynamic = Array.isArray(dynamic)
    ? dynamic.flatMap(
        (d) => ((d as Record<string, Value>).content as Record<string, Value>[] | undefined) ?? [],
      )
    : [];
  return [...direct, ...fromDynamic];
}

/** The object inside an evaluated `jsonencode({...})`. */
export function jsonencoded(value: Value): Record<string, Value> {
  if (!value || typeof value !== 'object' || !('jsonencode' in value)) {
    throw new Error(`expected a jsonencode({...}) value, got ${JSON.stringify(value)}`);
  }
  return (value as { jsonencode: Record<string, Value> }).jsonencode;
}
