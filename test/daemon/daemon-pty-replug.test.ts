import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openPtyPair, type PtyPair } from '../../simulators/harness/pty-pair.js';
import { attachToSerialPath, type SerialEndpoint } from '../../simulators/harness/serial-endpoint.js';
import type { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { createSimulatorHost } from '../../simulators/registry.js';
import { silentLogger } from '../../src/log.js';
import { collectOutput, exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';

/**
 * The cable between the kiosk PC and the acceptor is pulled and put back while the daemon
 * runs: the daemon must notice, report the device offline, and pick it up again by itself —
 * same process, acceptor re-initialised. Without reconnection the second "acceptor ready"
 * never comes and this test fails.
 */
describe('daemon over a real pty: unplug and replug the acceptor', () => {
  let pair: PtyPair | undefined;
  let endpoint: SerialEndpoint | undefined;
  let host: SimulatorHost | undefined;

  afterEach(async () => {
    await endpoint?.close().catch(() => {});
    host?.close();
    await pair?.close();
  });

  it('goes offline when the line dies and comes back online with no restart', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-replug-'));
    pair = await openPtyPair({ dir: join(dir, 'pty') });
    host = createSimulatorHost('id003', { name: 'id003', model: { timingPreset: 'fast' } });
    endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());

    const configFile = join(dir, 'kiosk.yaml');
    writeFileSync(
      configFile,
      stringify({
        kioskId: 'replug-1',
        dataDir: join(dir, 'var'),
        devices: {
          cashAcceptor: {
            port: pair.hostPath,
            silenceTimeoutMs: 500,
            reconnect: { initialDelayMs: 50, maxDelayMs: 400, factor: 2, jitter: 0.2 },
          },
        },
        simulators: { controlPort: 0 },
        fleet: { enabled: false },
      }),
    );
    const daemon = spawnKioskd(['run', '--config', configFile]);
    const output = collectOutput(daemon);
    try {
      await waitForJsonLine(daemon, (l) => l['msg'] === 'acceptor ready', 20_000);

      // Pull the cable: socat dies, both pty ends hang up.
      await endpoint.close();
      endpoint = undefined;
      pair.kill();
      const offline = await waitForJsonLine(daemon, (l) => l['msg'] === 'transport offline', 10_000);
      expect(offline['transport']).toBe('cashAcceptor');

      // Put it back: same link paths, the simulator attached again. No one touches the daemon.
      await pair.restart();
      endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());
      const before = output.stdout.split('"msg":"acceptor ready"').length - 1;
      await waitForJsonLine(
        daemon,
        () => output.stdout.split('"msg":"acceptor ready"').length - 1 > before,
        20_000,
      );
      expect(daemon.exitCode).toBeNull();
      expect(output.stdout).toContain('"msg":"transport online"');
    } finally {
      daemon.kill('SIGTERM');
      const exit = await exitOf(daemon);
      expect(exit.code, output.stderr).toBe(0);
    }
  });
});
