import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import {
  embeddedDemoConfigPath,
  loadConfigFile,
  parseConfig,
  parseConfigText,
} from '../../src/config/index.js';

const junk = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/** parseConfig must either accept or throw ConfigInvalid whose lines each start with a path. */
function acceptsOrExplains(raw: unknown): void {
  try {
    parseConfig(raw, 'fuzz');
  } catch (error) {
    if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
    const problems = error.details?.['problems'] as string[];
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toMatch(/^\S[^\n]*: [^\n]+$/);
    expect(error.message).toBe(problems.join('\n'));
  }
}

const demo = JSON.parse(JSON.stringify(loadConfigFile(embeddedDemoConfigPath()))) as Record<string, unknown>;

/** Every path into the demo config, so mutations land where real settings live. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

/** A field as problem lines name it: `technicians[0].id`. */
function fieldName(path: readonly string[]): string {
  return path.reduce(
    (name, key) => (/^\d+$/.test(key) ? `${name}[${key}]` : name === '' ? key : `${name}.${key}`),
    '',
  );
}

function withValueAt(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base = (typeof root === 'object' && root !== null ? root : {}) as Record<string, unknown>;
  // Arrays stay arrays (a denomination list with one bad element), objects stay objects.
  const copy = (Array.isArray(base) ? [...base] : { ...base }) as Record<string, unknown>;
  copy[head] = withValueAt(base[head], rest, value);
  return copy;
}

/** Text built from YAML's structural pieces and real config words, so it reaches deep into the parser. */
const yamlish = fc
  .array(
    fc.constantFrom(
      ...[
        'kioskId',
        'devices',
        'cashAcceptor',
        'port',
        'api',
        'fleet',
        'broker',
        'denominationOverride',
        '0x61',
      ],
      ...[
        ':',
        ': ',
        '\n',
        '  ',
        '\t',
        '- ',
        '[',
        ']',
        '{',
        '}',
        ',',
        '"',
        "'",
        '&a ',
        '*a',
        '*b',
        '!!str ',
        '#',
      ],
      ...[
        '42',
        '1.5',
        'true',
        'null',
        '~',
        '.inf',
        '0o7',
        'sim:id003',
        '---\n',
        '? ',
        '|\n',
        '>\n',
        '\uFEFF',
      ],
    ),
    { maxLength: 60 },
  )
  .map((tokens) => tokens.join(''));
const format = fc.constantFrom('yaml' as const, 'json' as const);

describe('config fuzzing', () => {
  it('never throws anything but ConfigInvalid on random junk', () => {
    fc.assert(fc.property(junk, acceptsOrExplains), { numRuns: 500 });
  });

  it('never throws anything but ConfigInvalid when one real setting is replaced by junk', () => {
    const paths = pathsOf(demo);
    fc.assert(
      fc.property(fc.constantFrom(...paths), junk, (path, value) =>
        acceptsOrExplains(withValueAt(demo, path, value)),
      ),
      { numRuns: 500 },
    );
  });

  it('reports exactly one line for one unknown key added anywhere in a valid config', () => {
    const objectPaths = pathsOf(demo).filter((path) => {
      let node: unknown = demo;
      for (const key of path) node = (node as Record<string, unknown>)[key];
      return typeof node === 'object' && node !== null && !Array.isArray(node);
    });
    fc.assert(
      fc.property(fc.constantFrom(...objectPaths), fc.stringMatching(/^zz[a-z]{1,8}$/), (path, key) => {
        try {
          parseConfig(withValueAt(demo, [...path, key], 1), 'fuzz');
        } catch (error) {
          if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
          const problems = error.details?.['problems'] as string[];
          expect(problems).toHaveLength(1);
          expect(problems[0]?.startsWith(`${fieldName([...path, key])}: unknown key`)).toBe(true);
          return;
        }
        throw new Error('an unknown key was accepted');
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but ConfigParse or ConfigInvalid on random YAML or JSON text', () => {
    fc.assert(
      fc.property(
        fc.oneof(yamlish, fc.string({ unit: 'binary', maxLength: 200 })),
        format,
        (text, format) => {
          try {
            acceptsOrExplains(parseConfigText(text, format, 'fuzz'));
          } catch (error) {
            if (!isKioskError(error, ErrorCode.ConfigParse)) throw error;
            expect(error.message).toMatch(/^fuzz:\d+:\d+: /);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
