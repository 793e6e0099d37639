import type { z } from 'zod';
import { nearestKey } from './nearest-key.js';

/*
 * Turns zod issues into the lines an operator reads, one per problem, in the order the
 * problems appear in the file:
 *   devices.cashAcceptor.pollIntervalMs: expected an integer from 100 to 200, got 500
 *   fleet.brokre: unknown key (did you mean "broker"?)
 *   kioskId: required, got nothing
 * Each schema field carries its own "expected ..." phrase; `expectationFor` supplies one for
 * issues a field did not phrase itself.
 */

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/**
 * Values under these keys are secrets, or where an operator may paste one by mistake (a clear
 * service password into passwordHash): a problem line says what kind of value it was, never the value.
 */
const HIDDEN_KEYS = new Set(['password', 'technicianPinHash', 'passwordHash', 'token', 'tdesBdk', 'aesBdk']);

const MAX_RENDERED = 60;
/** An unknown key with no close match lists the allowed ones when there are this few. */
const MAX_LISTED_KEYS = 8;

export function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z0-9_$-]+$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function shorten(text: string): string {
  return text.length <= MAX_RENDERED ? text : `${text.slice(0, MAX_RENDERED - 1)}…`;
}

/** How a found value reads in a problem line: JSON-like, short, and never a secret. */
export function renderValue(value: unknown, path: Path): string {
  if (value === undefined) return 'nothing';
  const last = path.at(-1);
  if (typeof last === 'string' && HIDDEN_KEYS.has(last)) return `${kindOf(value)} (hidden)`;
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length <= MAX_RENDERED ? quoted : `${quoted.slice(0, MAX_RENDERED - 2)}…"`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}`;
  if (typeof value === 'object') {
    try {
      const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
      if (json !== undefined) return shorten(json);
    } catch {
      // Cyclic (YAML aliases can build one) or otherwise unprintable: say what it is instead.
    }
    return kindOf(value);
  }
  return `a ${typeof value}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value pairs)',
  record: 'a mapping (key: value pairs)',
  array: 'a list',
};

/**
 * The "expected ..." phrase for an issue a schema field did not phrase itself; passed to zod
 * as the per-parse error map.
 */
export function expectationFor(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${renderValue(issue.values[0], [])}`
        : `expected one of ${issue.values.map((v) => renderValue(v, [])).join(', ')}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `expected text matching ${issue.pattern}`
        : `expected a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return 'expected a valid value';
  }
}

type SchemaNode = z.core.$ZodType;

/** The keys the schema allows at `path`, for did-you-mean; empty when it allows any key. */
export function knownKeysAt(schema: SchemaNode, path: Path): string[] {
  let node: SchemaNode | undefined = schema;
  let i = 0;
  while (node !== undefined) {
    const def = node._zod.def as unknown as { type: string } & Record<string, unknown>;
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
        node = def['innerType'] as SchemaNode;
        continue;
      case 'pipe':
        node = def['in'] as SchemaNode;
        continue;
      case 'union': {
        // A union keyed by protocol: any of its shapes may be the one the file meant.
        const rest = path.slice(i);
        const keys = (def['options'] as SchemaNode[]).flatMap((option) => knownKeysAt(option, rest));
        return [...new Set(keys)];
      }
      case 'object': {
        const shape = def['shape'] as Record<string, SchemaNode>;
        if (i === path.length) return Object.keys(shape);
        node = shape[String(path[i++])];
        continue;
      }
      case 'array':
        if (i === path.length) return [];
        i++;
        node = def['element'] as SchemaNode;
        continue;
      case 'record': {
        if (i === path.length) {
          const keyDef = (def['keyType'] as SchemaNode)._zod.def;
          return keyDef.type === 'enum' ? Object.keys((keyDef as z.core.$ZodEnumDef).entries) : [];
        }
        i++;
        node = def['valueType'] as SchemaNode;
        continue;
      }
      default:
        return [];
    }
  }
  return [];
}

/** What a union keyed by a field found in that field; zod reports the whole object as the input. */
function discriminatorValue(issue: Issue): unknown {
  if (issue.code !== 'invalid_union' || !('discriminator' in issue)) return undefined;
  const input = issue.input;
  const field = issue.discriminator;
  return typeof input === 'object' && input !== null && typeof field === 'string'
    ? (input as Record<string, unknown>)[field]
    : undefined;
}

/** One line per problem (an unknown-keys issue names several keys, so it yields several). */
export function linesOf(issue: Issue, schema: SchemaNode): { path: PropertyKey[]; line: string }[] {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(schema, path);
    return issue.keys.map((key) => {
      const suggestion = nearestKey(key, known);
      const hint =
        suggestion !== undefined
          ? ` (did you mean ${JSON.stringify(suggestion)}?)`
          : known.length > 0 && known.length <= MAX_LISTED_KEYS
            ? ` (expected one of ${known.map((k) => JSON.stringify(k)).join(', ')})`
            : '';
      return { path: [...path, key], line: `${formatPath([...path, key])}: unknown key${hint}` };
    });
  }
  const where = formatPath(path);
  const found = discriminatorValue(issue) ?? issue.input;
  if (issue.code === 'invalid_type' && found === undefined) {
    return [{ path, line: `${where}: required, got nothing` }];
  }
  const params = issue.code === 'custom' ? issue.params : undefined;
  const got = typeof params?.['got'] === 'string' ? params['got'] : renderValue(found, path);
  return [{ path, line: `${where}: ${issue.message}, got ${got}` }];
}

/**
 * Rank of every path present in `input`, in the order a reader meets it (YAML and JSON
 * parsers keep key order). A problem about a missing key ranks just after the last thing
 * inside its nearest present ancestor.
 */
export function documentRanker(input: unknown): (path: Path) => number {
  const start = new Map<string, number>();
  const end = new Map<string, number>();
  let counter = 0;
  const seen = new Set<object>();
  const walk = (value: unknown, path: PropertyKey[]): void => {
    const key = JSON.stringify(path.map(String));
    start.set(key, counter++);
    if (typeof value === 'object' && value !== null && !seen.has(value)) {
      seen.add(value);
      const entries: [PropertyKey, unknown][] = Array.isArray(value)
        ? Array.from(value, (item: unknown, i) => [i, item])
        : Object.entries(value);
      for (const [k, v] of entries) walk(v, [...path, k]);
      seen.delete(value);
    }
    end.set(key, counter++);
  };
  walk(input, []);
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const key = JSON.stringify(path.slice(0, n).map(String));
      const rank = n === path.length ? start.get(key) : end.get(key);
      if (rank !== undefined) return n === path.length ? rank : rank - 0.5;
    }
    return counter;
  };
}

/** All problem lines for a failed parse, in document order, without repeats. */
export function problemLines(issues: readonly Issue[], schema: SchemaNode, input: unknown): string[] {
  const rank = documentRanker(input);
  const lines = issues.flatMap((issue) => linesOf(issue, schema));
  const ordered = lines.map((entry, order) => ({ ...entry, rank: rank(entry.path), order }));
  ordered.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return [...new Set(ordered.map((entry) => entry.line))];
}
