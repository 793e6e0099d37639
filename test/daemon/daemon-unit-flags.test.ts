import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { unitEnvironment } from '../../bench/systemd-unit-env.js';
import { API_TOKEN_FILE } from '../../src/api/api-token.js';
import { EMBEDDED_LEDGER_FILE } from '../../src/fleet-broker/embedded-fleet.js';
import { type Json, waitUntil } from '../api/kiosk-daemon-rig.js';
import { collectOutput, exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * The shipped systemd unit runs node with flags of its own (--jitless among them: no JIT, so no
 * WebAssembly, which fetch's HTTP parser needs). The whole money path must work under them: a
 * daemon started with the unit's environment takes a note, commits the payment and delivers it
 * through the fleet link to a ledger, then stops cleanly.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function json(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: Json }> {
  const authorization: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? { headers: authorization }
      : { headers: { ...authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

describe('kioskd run under the systemd unit environment', () => {
  it('takes a note, pays and delivers the payment to the ledger, and stops cleanly', async () => {
    const unitEnv = unitEnvironment();
    expect(unitEnv['NODE_OPTIONS']).toContain('--jitless');
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-unit-flags-'));
    dirs.push(dir);
    const configPath = join(dir, 'kiosk.yaml');
    writeFileSync(
      configPath,
      stringify({
        kioskId: 'unit-flags-1',
        dataDir: join(dir, 'var'),
        devices: { cashAcceptor: { port: 'sim:id003' } },
        simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
        api: { port: 0 },
        fleet: {
          enabled: true,
          broker: { url: 'embedded', protocolVersion: 4 },
          embeddedBroker: { host: '127.0.0.1', port: 0 },
        },
      }),
    );
    // Only the unit's NODE_OPTIONS (the runner's own may carry a loader); tsx comes as an argument.
    const child = spawnKioskd(['demo', '--config', configPath], { env: { ...unitEnv } });
    const output = collectOutput(child);
    try {
      const up = await waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 30_000);
      const api = `${String(up['api'])}/api/v1`;
      const control = `${String(up['simulatorControl'])}/devices/id003/control`;
      const token = readFileSync(join(dir, 'var', API_TOKEN_FILE), 'utf8').trim();
      await waitUntil(
        async () => ((await json('GET', `${api}/state`)).body.kiosk.mode === 'inService' ? true : undefined),
        'the kiosk in service',
        10_000,
      );
      expect((await json('POST', `${api}/topups`, {}, token)).status).toBe(201);
      const entered = await json('PUT', `${api}/topups/current/account`, { account: '13800138000' }, token);
      expect(entered.body.state).toBe('insertingCash');
      await waitUntil(
        async () =>
          (await json('POST', control, { action: 'note.insert', denomination: 5000 })).status === 200
            ? true
            : undefined,
        'the acceptor to draw the note in',
        10_000,
      );
      await waitUntil(
        async () => ((await json('GET', `${api}/topups/current`)).body.total === 5000 ? true : undefined),
        'the note credited',
        10_000,
      );
      const done = await json('POST', `${api}/topups/current/confirm`, {}, token);
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ state: 'done', total: 5000, kind: 'complete' });

      const journal = new Database(join(dir, 'var', 'journal.sqlite'), { readonly: true });
      try {
        await waitUntil(
          () =>
            (
              journal.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'delivered'").get() as {
                n: number;
              }
            ).n === 1
              ? true
              : undefined,
          'the ledger to acknowledge the payment',
          10_000,
        );
      } finally {
        journal.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    const exit = await exitOf(child);
    expect(exit.code, output.stderr).toBe(0);
    // The one line node prints for --jitless (so the flag took effect); anything else on stderr
    // is a failure to look at.
    expect(output.stderr).toContain('disabling flag --expose_wasm');
    const otherStderr = output.stderr
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.includes('disabling flag --expose_wasm'));
    expect(otherStderr).toEqual([]);
    const ledger = new Database(join(dir, 'var', EMBEDDED_LEDGER_FILE), { readonly: true });
    try {
      const rows = ledger.prepare('SELECT kiosk_id, amount FROM ledger_payments').all();
      expect(rows).toEqual([{ kiosk_id: 'unit-flags-1', amount: 5000 }]);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
