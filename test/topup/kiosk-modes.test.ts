import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { silentLogger } from '../../src/log.js';
import { startKioskModes } from '../../src/topup/kiosk-modes.js';
import type { KioskMode } from '../../src/topup/top-up-view.js';

class Acceptor extends EventEmitter<{ status: [DeviceStatus] }> {
  status: DeviceStatus = { state: 'starting' };
  set(status: DeviceStatus): void {
    this.status = status;
    this.emit('status', status);
  }
}

class Operator extends EventEmitter<{ change: [KioskMode] }> {
  mode: KioskMode = 'inService';
  set(mode: KioskMode): void {
    this.mode = mode;
    this.emit('change', mode);
  }
  onModeChange(listener: (mode: KioskMode) => void): () => void {
    this.on('change', listener);
    return () => this.off('change', listener);
  }
}

function rig(options: { printer?: Acceptor } = {}) {
  const acceptor = new Acceptor();
  const operator = new Operator();
  let release: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    release = resolve;
  });
  const devices = new Map<DeviceName, Acceptor>([['cashAcceptor', acceptor]]);
  if (options.printer) devices.set('printer', options.printer);
  const modes = startKioskModes({
    devices,
    operator,
    ready,
    printerRequired: options.printer !== undefined,
    logger: silentLogger(),
  });
  const seen: KioskMode[] = [];
  modes.onModeChange((mode) => seen.push(mode));
  return {
    acceptor,
    operator,
    modes,
    seen,
    release: async () => {
      release();
      await ready;
    },
  };
}

describe('kiosk modes', () => {
  it('stays starting until recovery is done, then follows the acceptor', async () => {
    const { acceptor, modes, seen, release } = rig();
    acceptor.set({ state: 'online' });
    expect(modes.mode).toBe('starting');
    expect(modes.refusal()).toBe('kioskStarting');
    await release();
    expect(modes.mode).toBe('inService');
    expect(modes.refusal()).toBeNull();
    acceptor.set({ state: 'hardwareError', action: 'clear', reason: 'stackerFull' });
    expect(modes.mode).toBe('outOfService');
    expect(modes.refusal()).toBe('acceptorOffline');
    acceptor.set({ state: 'online' });
    expect(seen).toEqual(['inService', 'outOfService', 'inService']);
  });

  it('takes the operator out of service or into maintenance, and back', async () => {
    const { acceptor, operator, modes, release } = rig();
    acceptor.set({ state: 'online' });
    await release();
    operator.set('outOfService');
    expect(modes.mode).toBe('outOfService');
    expect(modes.refusal()).toBe('kioskOutOfService');
    operator.set('maintenance');
    expect(modes.refusal()).toBe('kioskMaintenance');
    operator.set('inService');
    expect(modes.mode).toBe('inService');
  });

  it('never changes mode in the middle of a customer: the change waits for the end', async () => {
    const { acceptor, operator, modes, seen, release } = rig();
    acceptor.set({ state: 'online' });
    await release();
    modes.transactionStarted();
    operator.set('outOfService');
    acceptor.set({ state: 'offline' });
    expect(modes.mode).toBe('inService');
    // The acceptor is gone: a new customer would be refused even before the mode changes.
    expect(modes.refusal()).toBe('acceptorOffline');
    modes.transactionEnded();
    expect(modes.mode).toBe('outOfService');
    expect(seen).toEqual(['inService', 'outOfService']);
  });

  it('stays starting while the acceptor has not settled, and stops listening when stopped', async () => {
    const { acceptor, modes, seen, release } = rig();
    await release();
    expect(modes.mode).toBe('starting');
    modes.stop();
    acceptor.set({ state: 'online' });
    expect(seen).toEqual([]);
    expect(acceptor.listenerCount('status')).toBe(0);
  });

  it('follows every device in the map: a required printer going offline takes the kiosk out of service', async () => {
    const printer = new Acceptor();
    const { acceptor, modes, release } = rig({ printer });
    acceptor.set({ state: 'online' });
    printer.set({ state: 'online' });
    await release();
    expect(modes.mode).toBe('inService');
    printer.set({ state: 'offline' });
    expect(modes.mode).toBe('outOfService');
    printer.set({ state: 'online' });
    expect(modes.mode).toBe('inService');
    modes.stop();
    expect(printer.listenerCount('status')).toBe(0);
  });
});
