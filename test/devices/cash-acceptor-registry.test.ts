import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { CashAcceptorHooks } from '../../devices/cash-acceptor/cash-acceptor.js';
import { Id003Driver } from '../../devices/cash-acceptor/id003/driver.js';
import { cashAcceptorProtocols, createCashAcceptor } from '../../devices/cash-acceptor/registry.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import { SimulatorBinding } from '../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../simulators/harness/simulator-registry.js';
import { id003SimulatorFactory } from '../../simulators/id003/id003-factory.js';
import { parseConfig } from '../../src/config/index.js';
import { waitUntil } from '../helpers/id003-rig.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const returnEverything: CashAcceptorHooks = {
  decideEscrow: async () => ({ action: 'return', reason: 'test' }),
  commitCredit: async () => {},
};

function simulatedLine(): BindingInterface {
  const sim = new SimulatorHost(id003SimulatorFactory.create({ timingPreset: 'fast' }), { wireTime: false });
  cleanups.push(() => sim.close());
  const registry = new SimulatorRegistry();
  registry.register('id003', sim);
  return new SimulatorBinding(registry) as unknown as BindingInterface;
}

describe('the cash acceptor registry', () => {
  it('lists the protocols this build has a driver for', () => {
    expect(cashAcceptorProtocols).toEqual(['id003']);
  });

  it('refuses a protocol it has no driver for, naming the ones it has', async () => {
    const config = parseConfig({ kioskId: 'k-1' }, 't');
    await expect(
      createCashAcceptor({
        name: 'cashAcceptor',
        config: { ...config.devices.cashAcceptor, protocol: 'ssp' } as never,
        currency: config.currency,
        binding: simulatedLine(),
        hooks: returnEverything,
        logger: silentLogger(),
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: 'no cash acceptor driver for protocol "ssp" in this build (built: id003)',
    });
  });

  it('builds the configured protocol behind the CashAcceptor interface, diagnostics included', async () => {
    const config = parseConfig(
      { kioskId: 'k-1', devices: { cashAcceptor: { port: 'sim:id003', pollIntervalMs: 20 } } },
      't',
    );
    const acceptor = await createCashAcceptor({
      name: 'cashAcceptor',
      config: config.devices.cashAcceptor,
      currency: config.currency,
      binding: simulatedLine(),
      hooks: returnEverything,
      logger: silentLogger(),
    });
    cleanups.push(() => acceptor.stop());
    // The daemon sees the kind's interface, never the protocol's driver class.
    expect(acceptor).not.toBeInstanceOf(Id003Driver);
    const statuses: string[] = [];
    acceptor.on('status', (status) => statuses.push(status.state));
    await acceptor.start();
    await waitUntil('the acceptor to go online', () => acceptor.status.state === 'online', 10_000);
    expect(statuses).toContain('online');

    const report = await acceptor.diagnostics();
    expect(report.status).toEqual({ state: 'online' });
    expect(report.identity.model).not.toBe('');
    expect(report.transport).toBe('online');
    expect(report.counters['polls']).toBeGreaterThan(0);
    expect(report.currencyTable.map((entry) => entry.denomination)).toContain(10_000);

    await acceptor.reset();
    await waitUntil('the acceptor back online after reset', () => acceptor.status.state === 'online', 10_000);
  });
});
