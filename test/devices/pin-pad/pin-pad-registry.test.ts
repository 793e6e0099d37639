import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import { deviceKinds, unbuiltDeviceProblem } from '../../../devices/device-kinds.js';
import { eppConfigSchema } from '../../../devices/pin-pad/epp/config-schema.js';
import { createPinPad, pinPadProtocols } from '../../../devices/pin-pad/registry.js';
import type { BindingInterface } from '../../../devices/transport/serial-binding.js';
import { eppSimulatorFactory } from '../../../simulators/epp/epp-factory.js';
import { SimulatorBinding } from '../../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function simulatedLine(): BindingInterface {
  const sim = new SimulatorHost(eppSimulatorFactory.create({ timingPreset: 'fast' }), { wireTime: true });
  cleanups.push(() => sim.close());
  const registry = new SimulatorRegistry();
  registry.register('epp', sim);
  return new SimulatorBinding(registry) as unknown as BindingInterface;
}

describe('the PIN pad registry', () => {
  it('lists epp, and the device kinds offer it', () => {
    expect(pinPadProtocols).toEqual(['epp']);
    expect(deviceKinds.pinPad.protocols).toEqual(['epp']);
    expect(unbuiltDeviceProblem('pinPad', 'epp')).toBeUndefined();
    expect(unbuiltDeviceProblem('pinPad', 'zt588')).toBe(
      'the PIN pad driver for "zt588" is not in this build (built: epp)',
    );
    // Every kind has a driver now.
    for (const kind of Object.values(deviceKinds)) expect(kind.protocols.length).toBeGreaterThan(0);
  });

  it('refuses a protocol it has no driver for, naming the ones it has', async () => {
    await expect(
      createPinPad({
        name: 'pinPad',
        config: { ...eppConfigSchema.parse({}), protocol: 'zt588' } as never,
        binding: simulatedLine(),
        logger: silentLogger(),
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: 'no PIN pad driver for protocol "zt588" in this build (built: epp)',
    });
  });

  it('builds the configured protocol behind the PinPad interface, diagnostics included', async () => {
    const pad = await createPinPad({
      name: 'pinPad',
      config: eppConfigSchema.parse({ enabled: true, statusPollIntervalMs: 100 }),
      binding: simulatedLine(),
      logger: silentLogger(),
      byteTrace: true,
    });
    cleanups.push(() => pad.stop());
    await pad.start();
    expect(pad.status).toEqual({ state: 'online', entry: 'idle', pinReady: false });
    const diagnostics = await pad.diagnostics();
    expect(diagnostics).toMatchObject({
      status: { state: 'online', entry: 'idle', pinReady: false },
      transport: 'online',
      identity: { model: 'EPP-SIM', firmware: '1.0.0', serialNumber: '0001' },
    });
    expect(diagnostics.counters['polls']).toBeGreaterThanOrEqual(1);
    expect(diagnostics.counters['bytesOut']).toBeGreaterThan(0);
  });
});
