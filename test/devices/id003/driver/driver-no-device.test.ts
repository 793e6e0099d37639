import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hangupAwareBinding } from '../../../../core/hangup-aware-binding.js';
import type { CashAcceptorHooks } from '../../../../devices/cash-acceptor/cash-acceptor.js';
import { createId003Acceptor } from '../../../../devices/cash-acceptor/id003/create.js';
import type { DeviceStatus } from '../../../../devices/device-status.js';
import type { BindingInterface } from '../../../../devices/transport/serial-binding.js';
import { openPtyPair } from '../../../../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../../../../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../../../../simulators/harness/simulator-host.js';
import { id003SimulatorFactory } from '../../../../simulators/id003/id003-factory.js';
import { KioskStatusBoard } from '../../../../src/fleet-link/kiosk-status-board.js';
import { healthPayload } from '../../../../src/fleet-link/report-payloads.js';
import { Journal } from '../../../../src/journal/journal.js';
import { silentLogger } from '../../../../src/log.js';
import { requireTool } from '../../../helpers/require-tool.js';
import { capturingLogger } from '../../../helpers/transport-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(() => requireTool('socat'));
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const refuseEverything: CashAcceptorHooks = {
  decideEscrow: async () => ({ action: 'return', reason: 'test' }),
  commitCredit: async () => {},
};

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface LogLine {
  level: number;
  path?: string;
  errno?: string;
}

describe('ID-003 acceptor configured on a serial path that does not exist', () => {
  it('reports noDevice with the errno (warned once, carried in health) and goes online when the port appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-nodevice-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = join(dir, 'host');
    const log = capturingLogger('debug');
    const acceptor = createId003Acceptor({
      name: 'cashAcceptor',
      config: {
        port,
        pollIntervalMs: 100,
        answerTimeoutMs: 300,
        retries: 3,
        silenceTimeoutMs: 2_000,
        stackCommand: 'stack2',
        escrowHoldMs: 0,
        reconnect: { initialDelayMs: 10, maxDelayMs: 40, factor: 2, jitter: 0 },
      },
      currency: { code: 'CNY', minorUnitsPerMajor: 100, denominations: [100, 500, 1000] },
      binding: hangupAwareBinding(autoDetect()) as unknown as BindingInterface,
      hooks: refuseEverything,
      logger: log.logger,
    });
    cleanups.push(() => acceptor.stop());
    // What the fleet link does with the driver's status (src/daemon/fleet-link-wiring.ts).
    const board = new KioskStatusBoard();
    const statuses: DeviceStatus[] = [];
    acceptor.driver.on('status', (status) => {
      statuses.push(status);
      board.setDeviceStatus('cashAcceptor', acceptor.driver.status);
    });
    let retries = 0;
    acceptor.transport.on('retry', () => retries++);

    // Resolves: the start-up has a finding to report, it does not wait for the port for ever.
    await acceptor.start();
    expect(acceptor.driver.status).toEqual({ state: 'noDevice', reason: 'ENOENT' });
    await waitFor('several failed opens', () => retries >= 5);
    const warnings = (log.lines() as LogLine[]).filter((l) => l.level === 40 && l.errno !== undefined);
    expect(warnings).toEqual([expect.objectContaining({ path: port, errno: 'ENOENT' })]);
    // The status changed once, not once per retry.
    expect(statuses.filter((s) => s.state === 'noDevice')).toHaveLength(1);

    const dataDir = mkdtempSync(join(tmpdir(), 'kioskd-nodevice-journal-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const journal = Journal.open({
      path: join(dataDir, 'journal.sqlite'),
      kioskId: 'kiosk-test-1',
      logger: silentLogger(),
    });
    cleanups.push(() => journal.close());
    const health = healthPayload({
      kioskId: 'kiosk-test-1',
      epoch: 1,
      context: board,
      journal,
      now: new Date(),
    });
    expect(health.devices['cashAcceptor']).toEqual({ state: 'noDevice', reason: 'ENOENT' });

    // The unit is plugged in: a pty appears at the configured path with the simulator behind it.
    const sim = new SimulatorHost(id003SimulatorFactory.create({ timingPreset: 'fast' }), {
      name: 'id003',
      wireTime: true,
      seed: 1,
      logger: silentLogger(),
    });
    cleanups.push(() => sim.close());
    const pair = await openPtyPair({ dir });
    cleanups.push(() => pair.close());
    const endpoint = await attachToSerialPath(sim, pair.devicePath, silentLogger());
    cleanups.push(() => endpoint.close());
    await waitFor('the acceptor online', () => acceptor.driver.status.state === 'online');
    expect(statuses.map((s) => s.state)).toEqual(['noDevice', 'starting', 'online']);
    expect(board.deviceStatuses()['cashAcceptor']).toEqual({ state: 'online' });
  });
});
