import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

let readOnlyMount: string | undefined;
afterAll(() => {
  if (readOnlyMount === undefined) return;
  execFileSync('umount', [readOnlyMount]);
  rmdirSync(readOnlyMount);
});

function configFile(dataDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-run-journal-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'kiosk.yaml');
  writeFileSync(
    file,
    stringify({
      kioskId: 'k-journal',
      dataDir,
      api: { port: 0 },
      simulators: { controlPort: 0 },
      fleet: { enabled: false },
      log: { level: 'error' },
    }),
  );
  return file;
}

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe('kioskd run: a journal it cannot use', () => {
  it('refuses an empty journal with one line naming the command that starts fresh, leaving it as it was', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kioskd-run-journal-data-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const journal = join(dataDir, 'journal.sqlite');
    writeFileSync(journal, '');
    const r = await runCli(['demo', '--config', configFile(dataDir)]);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(journal);
    expect(r.err[0]).toContain('kioskd journal init --force');
    expect(statSync(journal).size).toBe(0);
  }, 30_000);

  it('says read-only, in one line, when the data directory is on a read-only filesystem', async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a read-only tmpfs and must run as root (it does in the test set-up)');
    }
    readOnlyMount = mkdtempSync(join(tmpdir(), 'kioskd-run-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', readOnlyMount]);
    mkdirSync(join(readOnlyMount, 'existing'));
    execFileSync('mount', ['-o', 'remount,ro', readOnlyMount]);
    for (const dataDir of [join(readOnlyMount, 'existing'), join(readOnlyMount, 'missing', 'var')]) {
      const r = await runCli(['demo', '--config', configFile(dataDir)]);
      expect(r.status).toBe(1);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).not.toContain('\n');
      expect(r.err[0]).toContain('read-only');
    }
  }, 30_000);
});
