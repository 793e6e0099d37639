import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { silentLogger } from '../../../core/logger.js';
import { deviceKinds, unbuiltDeviceProblem } from '../../../devices/device-kinds.js';
import { escposConfigSchema } from '../../../devices/printer/escpos/config-schema.js';
import { createPrinter, printerProtocols } from '../../../devices/printer/registry.js';
import type { BindingInterface } from '../../../devices/transport/serial-binding.js';
import { escposSimulatorFactory } from '../../../simulators/escpos/escpos-factory.js';
import { SimulatorBinding } from '../../../simulators/harness/sim-binding.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function simulatedLine(): BindingInterface {
  const sim = new SimulatorHost(escposSimulatorFactory.create({ timingPreset: 'fast' }), { wireTime: true });
  cleanups.push(() => sim.close());
  const registry = new SimulatorRegistry();
  registry.register('escpos', sim);
  return new SimulatorBinding(registry) as unknown as BindingInterface;
}

describe('the receipt printer registry', () => {
  it('lists escpos, and the device kinds offer it', () => {
    expect(printerProtocols).toEqual(['escpos']);
    expect(deviceKinds.printer.protocols).toEqual(['escpos']);
    expect(unbuiltDeviceProblem('printer', 'escpos')).toBeUndefined();
    expect(unbuiltDeviceProblem('printer', 'star')).toBe(
      'the receipt printer driver for "star" is not in this build (built: escpos)',
    );
  });

  it('refuses a protocol it has no driver for, naming the ones it has', async () => {
    await expect(
      createPrinter({
        name: 'printer',
        config: { ...escposConfigSchema.parse({}), protocol: 'star' } as never,
        binding: simulatedLine(),
        logger: silentLogger(),
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: 'no receipt printer driver for protocol "star" in this build (built: escpos)',
    });
  });

  it('builds the configured protocol behind the ReceiptPrinter interface, diagnostics included', async () => {
    const printer = await createPrinter({
      name: 'printer',
      config: escposConfigSchema.parse({ enabled: true, statusPollIntervalMs: 100 }),
      binding: simulatedLine(),
      logger: silentLogger(),
    });
    cleanups.push(() => printer.stop());
    await printer.start();
    expect(printer.status).toEqual({ state: 'online', paper: 'ok' });
    const diagnostics = await printer.diagnostics();
    expect(diagnostics).toMatchObject({
      status: { state: 'online', paper: 'ok' },
      transport: 'online',
      identity: { model: 'ESC/POS printer at 9600 baud', firmware: 'not reported' },
    });
    expect(diagnostics.counters['statusReads']).toBeGreaterThanOrEqual(4);
    expect(diagnostics.counters['bytesOut']).toBeGreaterThan(0);
  });
});
