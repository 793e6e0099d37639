import { ErrorCode, KioskError } from '../../core/errors.js';
import type { SimulatorHost } from './simulator-host.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The running simulated devices by name: what `sim:<name>` paths and `/devices/<name>` control
 * routes resolve against. Several bindings and control servers may share one registry.
 */
export class SimulatorRegistry {
  private readonly hosts = new Map<string, SimulatorHost>();

  register(name: string, host: SimulatorHost): void {
    if (!NAME.test(name)) {
      throw new KioskError(
        ErrorCode.SimUnknownDevice,
        `simulator name "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
        { details: { name } },
      );
    }
    if (this.hosts.has(name)) {
      throw new KioskError(ErrorCode.SimPortBusy, `a simulator named "${name}" is already registered`, {
        details: { name },
      });
    }
    this.hosts.set(name, host);
  }

  get(name: string): SimulatorHost | undefined {
    return this.hosts.get(name);
  }

  /** Resolves a name or throws SimUnknownDevice listing the names there are. */
  require(name: string): SimulatorHost {
    const host = this.hosts.get(name);
    if (!host) {
      const known = this.names();
      throw new KioskError(
        ErrorCode.SimUnknownDevice,
        `no simulator named "${name}" (running: ${known.length > 0 ? known.join(', ') : 'none'})`,
        { details: { name, known } },
      );
    }
    return host;
  }

  unregister(name: string): boolean {
    return this.hosts.delete(name);
  }

  names(): string[] {
    return [...this.hosts.keys()].sort();
  }

  entries(): [string, SimulatorHost][] {
    return this.names().map((name) => [name, this.hosts.get(name)!]);
  }
}
