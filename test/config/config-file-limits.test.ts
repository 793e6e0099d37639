import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type KioskError } from '../../core/errors.js';
import { loadConfigFile } from '../../src/config/index.js';
import { loadFleetToolConfig } from '../../src/fleet/fleet-config.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

const scratch = mkdtempSync(join(tmpdir(), 'kioskd-config-limits-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

/**
 * Loads a config in a child process: a reader without bounds would block this test worker
 * forever on /dev/zero or a FIFO (a synchronous read cannot be timed out), so the child is
 * killed after the limit instead and the test fails with what it printed.
 */
async function loadInChild(path: string): Promise<{ code: number | undefined; message: string }> {
  const url = pathToFileURL(join(REPO_ROOT, 'src/config/load-config-file.ts')).href;
  const script = `
    const { loadConfigFile } = await import(${JSON.stringify(url)});
    try { loadConfigFile(${JSON.stringify(path)}); console.log(JSON.stringify({ message: 'accepted' })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--max-old-space-size=256', '-e', script],
    { cwd: REPO_ROOT, timeout: 15_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as { code: number | undefined; message: string };
}

describe('config files are read bounded', () => {
  it('refuses a config that is a symlink to /dev/zero, at once, as not a regular file', async () => {
    const link = join(scratch, 'zero.yaml');
    symlinkSync('/dev/zero', link);
    const result = await loadInChild(link);
    expect(result.code).toBe(ErrorCode.ConfigUnreadable);
    expect(result.message).toContain(link);
    expect(result.message).toContain('not a regular file');
  }, 30_000);

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(scratch, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const result = await loadInChild(fifo);
    expect(result.code).toBe(ErrorCode.ConfigUnreadable);
    expect(result.message).toContain('not a regular file');
  }, 30_000);

  it('refuses a file over 1 MiB before parsing it', () => {
    const path = scratchFile('huge.yaml', `kioskId: K-1\n#${'x'.repeat(1024 * 1024)}\n`);
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigUnreadable);
    expect(error.message).toContain(path);
    expect(error.message).toContain('larger than 1 MiB');
  });

  it('applies the same bounds to the fleet tools’ config', () => {
    const huge = scratchFile('fleet-huge.yaml', `#${'x'.repeat(1024 * 1024 + 1)}\n`);
    expect(() => loadFleetToolConfig(huge)).toThrow('larger than 1 MiB');
    const link = join(scratch, 'fleet-zero.yaml');
    symlinkSync('/dev/zero', link);
    expect(() => loadFleetToolConfig(link)).toThrow('not a regular file');
  });

  it('still reads a file just under the cap', () => {
    const path = scratchFile('big-comment.yaml', `kioskId: K-1\n#${'x'.repeat(1024 * 1024 - 100)}\n`);
    expect(loadConfigFile(path).kioskId).toBe('K-1');
  });
});

describe('config text the YAML library would answer in its own words', () => {
  it('refuses a 50,000-deep YAML in operator words, not a stack overflow', () => {
    for (const [name, text] of [
      ['deep-flow.yaml', `kioskId: K-1\nlog: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`],
      ['deep-block.yaml', `kioskId: K-1\nlog:\n  ${'- '.repeat(50_000)}x\n`],
      ['deep.json', `{"kioskId": "K-1", "log": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`],
    ] as const) {
      const error = failureOf(scratchFile(name, text));
      expect(error.code).toBe(ErrorCode.ConfigParse);
      expect(error.message).toMatch(new RegExp(`${name}:\\d+:\\d+: nested more than \\d+ levels deep`));
      expect(error.message).not.toContain('call stack');
    }
  }, 60_000);

  it('keeps a normally nested config working', () => {
    const path = scratchFile('normal.yaml', 'kioskId: K-1\nfleet:\n  outbox:\n    maxInFlight: 10\n');
    expect(loadConfigFile(path).fleet.outbox.maxInFlight).toBe(10);
  });

  it('refuses a multi-document YAML saying a config is one document', () => {
    const path = scratchFile('two.yaml', 'kioskId: K-1\n---\nkioskId: K-2\n');
    const error = failureOf(path);
    expect(error.code).toBe(ErrorCode.ConfigParse);
    expect(error.message).toContain('two.yaml:2:1: holds 2 YAML documents; a config is one document');
    expect(error.message).not.toContain('parseAllDocuments');
  });
});
