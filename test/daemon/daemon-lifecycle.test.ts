import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { collectOutput, exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';

function demoConfigIn(dir: string): string {
  const file = join(dir, 'kiosk.yaml');
  const config = {
    kioskId: 'test-kiosk-1',
    dataDir: join(dir, 'var'),
    devices: { cashAcceptor: { port: 'sim:id003' }, pinPad: { enabled: true, port: 'sim:epp' } },
    simulators: { controlPort: 0 },
    api: { port: 0 },
    fleet: { enabled: false },
  };
  writeFileSync(file, stringify(config));
  return file;
}

describe('kioskd run', () => {
  it('comes up on a config (the PIN pad among its devices), logs that it is up, and stops on SIGTERM within 2 s with the journal closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-daemon-'));
    const child = spawnKioskd(['run', '--config', demoConfigIn(dir)]);
    const output = collectOutput(child);
    const padOnline = waitForJsonLine(
      child,
      (line) =>
        line['msg'] === 'PIN pad status' &&
        (line['status'] as { state?: string } | undefined)?.state === 'online',
      20_000,
    );
    const up = await waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 20_000);
    expect(up['kioskId']).toBe('test-kiosk-1');
    await waitForJsonLine(child, (line) => line['msg'] === 'acceptor ready', 20_000);
    expect(up['devices']).toMatchObject({ pinPad: 'sim:epp' });
    await padOnline;

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const exit = await exitOf(child);
    const stopMs = Date.now() - signalledAt;
    expect(exit.code, output.stderr).toBe(0);
    expect(stopMs).toBeLessThan(2_000);
    expect(output.stdout).toContain('"msg":"journal closed"');
    expect(output.stdout).toContain('"msg":"stopped"');

    // A cleanly closed WAL database leaves no -wal content behind and opens read-only at once.
    const journalPath = join(dir, 'var', 'journal.sqlite');
    expect(existsSync(journalPath)).toBe(true);
    const walPath = `${journalPath}-wal`;
    expect(!existsSync(walPath) || readFileSync(walPath).length === 0).toBe(true);
    const db = new Database(journalPath, { readonly: true, fileMustExist: true });
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses a config that is not valid, with exit 1 and the problem lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-daemon-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'kioskId: "has space"\n');
    const child = spawnKioskd(['run', '--config', file]);
    const output = collectOutput(child);
    const exit = await exitOf(child);
    expect(exit.code).toBe(1);
    expect(output.stderr).toContain('kioskId: expected 1 to 64 letters');
    expect(existsSync(join(dir, 'var'))).toBe(false);
  });

  it('refuses a device protocol this build has no driver for (PIN pad "zt588") and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-daemon-'));
    const file = join(dir, 'pin-pad.yaml');
    writeFileSync(
      file,
      stringify({
        kioskId: 'k1',
        dataDir: join(dir, 'var'),
        devices: { pinPad: { enabled: true, protocol: 'zt588' } },
        fleet: { enabled: false },
      }),
    );
    const child = spawnKioskd(['run', '--config', file]);
    const output = collectOutput(child);
    const exit = await exitOf(child);
    expect(exit.code).toBe(1);
    expect(output.stderr).toContain('devices.pinPad.protocol: expected "epp", got "zt588"');
    expect(existsSync(join(dir, 'var'))).toBe(false);
  });
});
