import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type KioskError } from '../../core/errors.js';
import { loadConfigFile } from '../../src/config/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'config');
const scratch = mkdtempSync(join(tmpdir(), 'kioskd-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `text` to a scratch file, so broken files need not live in the repo (the linter parses fixtures). */
function scratchFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

function failureOf(path: string): KioskError {
  try {
    loadConfigFile(path);
  } catch (error) {
    return error as KioskError;
  }
  throw new Error(`expected ${path} to be rejected`);
}

describe('loadConfigFile', () => {
  it('reports a typo, a wrong type and a missing field as exactly three path-precise lines', () => {
    const error = failureOf(join(fixtures, 'three-problems.yaml'));
    expect(error.code).toBe(ErrorCode.ConfigInvalid);
    expect(error.details?.['problems']).toEqual([
      'log.levle: unknown key (did you mean "level"?)',
      'api.port: expected an integer from 0 to 65535, got "eighty"',
      'kioskId: required, got nothing',
    ]);
  });

  it('names line and column of a YAML syntax error', () => {
    const path = scratchFile(
      'syntax.yaml',
      'kioskId: demo-0002\ndevices:\n  cashAcceptor:\n    port: sim:id003\n   pollIntervalMs: 150\n',
    );
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toBe(`${path}:5:1: All mapping items must start at the same column`);
    expect(error.details).toMatchObject({
      line: 5,
      column: 1,
      problems: ['5:1: All mapping items must start at the same column'],
    });
  });

  it('rejects a duplicate key in YAML, naming the key and where the repeat is', () => {
    const path = join(fixtures, 'duplicate-key.yaml');
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toBe(`${path}:5:3: duplicate key "port"`);
  });

  it('reads a JSON file, filling defaults', () => {
    const config = loadConfigFile(join(fixtures, 'valid.json'));
    expect(config.kioskId).toBe('json-0001');
    expect(config.devices.cashAcceptor).toMatchObject({
      port: 'COM3',
      pollIntervalMs: 120,
      answerTimeoutMs: 300,
    });
    expect(config.fleet.enabled).toBe(false);
    expect(config.journal.path).toBe('/var/lib/kioskd/journal.sqlite');
  });

  it('rejects a duplicate key in JSON, which JSON.parse would silently accept', () => {
    const path = scratchFile('dup.json', '{\n  "kioskId": "a",\n  "kioskId": "b"\n}\n');
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toBe(`${path}:3:3: duplicate key "kioskId"`);
  });

  it('reads a .json file as strict JSON', () => {
    const path = scratchFile('bare.json', '{\n  "kioskId": json-0004\n}\n');
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toBe(
      `${path}:2:14: expected a JSON value (text goes in double quotes), got "json-0004"`,
    );
  });

  it('keeps unquoted escrow codes such as 0x61 as text rather than hex numbers', () => {
    const config = loadConfigFile(join(fixtures, 'escrow-override.yaml'));
    expect(config.devices.cashAcceptor.denominationOverride).toEqual({ '0x61': 100, '0x66': 5000 });
  });

  it('points at an alias that refers to no anchor', () => {
    const path = scratchFile('alias.yaml', 'kioskId: k\napi:\n  port: *apiPort\n');
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toBe(`${path}:3:9: alias *apiPort refers to no anchor defined before it`);
  });

  it('says the file is missing, unreadable or of an unknown kind, each with its own code', () => {
    const missing = join(scratch, 'nope.yaml');
    expect(failureOf(missing)).toMatchObject({
      code: ErrorCode.ConfigNotFound,
      message: `config file not found: ${missing}`,
    });

    const directory = join(scratch, 'dir.yaml');
    mkdirSync(directory);
    expect(failureOf(directory)).toMatchObject({
      code: ErrorCode.ConfigUnreadable,
      message: `cannot read config file ${directory}: it is a directory`,
    });

    const toml = scratchFile('kiosk.toml', 'kioskId = "k"\n');
    expect(failureOf(toml)).toMatchObject({
      code: ErrorCode.ConfigParse,
      message: `${toml}: expected a .yaml, .yml or .json file, got a ".toml" file`,
    });
  });

  it('rejects a file holding no settings with a problem line, not a crash', () => {
    const error = failureOf(scratchFile('empty.yml', '# nothing here\n'));
    expect(error.code).toBe(ErrorCode.ConfigInvalid);
    expect(error.details?.['problems']).toEqual([
      '(top level): expected a mapping (key: value pairs), got null',
    ]);
  });
});
