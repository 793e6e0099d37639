import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { EchoModel } from '../../../simulators/echo/echo-model.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { SimulatorHost } from '../../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../../simulators/harness/simulator-registry.js';
import { createSimulatorHost, simulatorFactories } from '../../../simulators/registry.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('simulatorFactories / createSimulatorHost', () => {
  it('offers echo and builds a host for it with model options', () => {
    expect(simulatorFactories.get('echo')?.kind).toBe('echo');
    const host = createSimulatorHost('echo', { model: { baudRate: 19200 }, clock: new ManualClock() });
    expect(host.kind).toBe('echo');
    expect(host.model.line.baudRate).toBe(19200);
    host.close();
  });

  it('names the known kinds for an unknown one', () => {
    const error = thrown(() => createSimulatorHost('toaster'));
    expect(isKioskError(error, ErrorCode.SimUnknownDevice)).toBe(true);
    expect((error as Error).message).toContain('toaster');
    expect((error as Error).message).toContain('echo');
  });
});

describe('SimulatorRegistry', () => {
  const host = () => new SimulatorHost(new EchoModel(), { clock: new ManualClock() });

  it('registers, finds, lists and unregisters hosts', () => {
    const registry = new SimulatorRegistry();
    const a = host();
    const b = host();
    registry.register('b-acceptor', b);
    registry.register('a-echo', a);
    expect(registry.get('a-echo')).toBe(a);
    expect(registry.names()).toEqual(['a-echo', 'b-acceptor']);
    expect(registry.unregister('a-echo')).toBe(true);
    expect(registry.get('a-echo')).toBeUndefined();
    expect(registry.unregister('a-echo')).toBe(false);
  });

  it('rejects duplicate and malformed names without changing anything', () => {
    const registry = new SimulatorRegistry();
    const first = host();
    registry.register('echo', first);
    expect(
      isKioskError(
        thrown(() => registry.register('echo', host())),
        ErrorCode.SimPortBusy,
      ),
    ).toBe(true);
    expect(
      isKioskError(
        thrown(() => registry.register('a/b', host())),
        ErrorCode.SimUnknownDevice,
      ),
    ).toBe(true);
    expect(
      isKioskError(
        thrown(() => registry.register('', host())),
        ErrorCode.SimUnknownDevice,
      ),
    ).toBe(true);
    expect(registry.names()).toEqual(['echo']);
    expect(registry.get('echo')).toBe(first);
  });

  it('require() names the running devices when one is missing', () => {
    const registry = new SimulatorRegistry();
    registry.register('echo', host());
    const error = thrown(() => registry.require('id003'));
    expect(isKioskError(error, ErrorCode.SimUnknownDevice)).toBe(true);
    expect((error as Error).message).toMatch(/id003.*echo/);
  });
});
