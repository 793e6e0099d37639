import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { waitUntil } from '../helpers/id003-rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function daemonWithSimulatedAcceptor(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-devices-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    {
      kioskId: 'devices-1',
      dataDir: join(dir, 'var'),
      devices: { cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 } },
      simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
      api: { port: 0 },
      fleet: { enabled: false },
    },
    'test',
  );
  const daemon = await startDaemon({ config, configPath: 'test', logger: silentLogger() });
  cleanups.push(() => daemon.stop());
  return daemon;
}

describe('the daemon’s device map', () => {
  it('runs the configured devices, with the simulator their sim: port names', async () => {
    const daemon = await daemonWithSimulatedAcceptor();
    expect(daemon.devices.names()).toEqual(['cashAcceptor']);
    expect(daemon.simulators.names()).toEqual(['id003']);
    expect(daemon.devices.get('cashAcceptor')).toBe(daemon.cashAcceptor);
    await waitUntil(
      'the acceptor online',
      () => daemon.devices.statuses().cashAcceptor?.state === 'online',
      10_000,
    );
  }, 20_000);

  it('answers reset and diagnostics through the device interface, the cashbox from the journal', async () => {
    const daemon = await daemonWithSimulatedAcceptor();
    await waitUntil('the acceptor online', () => daemon.cashAcceptor.status.state === 'online', 10_000);
    const report = await daemon.devices.diagnostics('cashAcceptor');
    expect(report).toMatchObject({
      device: 'cashAcceptor',
      status: { state: 'online' },
      transport: 'online',
      identity: { model: expect.any(String) },
      counters: { polls: expect.any(Number) },
      cashbox: daemon.journal.cashbox.counters('cashAcceptor'),
    });
    expect(report['currencyTable']).toEqual(
      expect.arrayContaining([expect.objectContaining({ denomination: 10_000 })]),
    );
    const reset = await daemon.devices.reset('cashAcceptor');
    expect(reset.device).toBe('cashAcceptor');
  }, 20_000);

  it('refuses a device the kiosk does not run, by name, changing nothing', async () => {
    const daemon = await daemonWithSimulatedAcceptor();
    for (const name of ['printer', 'pinPad', 'toaster']) {
      await expect(daemon.devices.reset(name)).rejects.toMatchObject({
        code: ErrorCode.DeviceOffline,
        message: `${name} is not enabled on this kiosk`,
      });
      await expect(daemon.devices.diagnostics(name)).rejects.toMatchObject({ code: ErrorCode.DeviceOffline });
    }
    expect(daemon.devices.names()).toEqual(['cashAcceptor']);
  }, 20_000);
});
