import { ErrorCode, KioskError } from '../../core/errors.js';
import type { CashAcceptor } from '../../devices/cash-acceptor/cash-acceptor.js';
import type { Device } from '../../devices/device.js';
import { DEVICE_NAMES, type DeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { PinPad } from '../../devices/pin-pad/pin-pad.js';
import type { ReceiptPrinter } from '../../devices/printer/printer.js';
import type { KioskConfig } from '../config/index.js';

/** A device section of the config as the daemon reads it: where and in what protocol. */
export interface ConfiguredDevice {
  name: DeviceName;
  port: string;
  protocol: string;
}

/** The devices the config runs, in start order; a kind with an `enabled` flag runs when it is set. */
export function configuredDevices(config: KioskConfig): ConfiguredDevice[] {
  return DEVICE_NAMES.flatMap((name) => {
    const section = config.devices[name];
    const enabled = 'enabled' in section ? section.enabled : true;
    return enabled ? [{ name, port: section.port, protocol: section.protocol }] : [];
  });
}

/** Each device name's interface, for the parts of the host that use a kind's own commands. */
export interface DeviceInterfaces {
  cashAcceptor: CashAcceptor;
  printer: ReceiptPrinter;
  pinPad: PinPad;
}

export interface DeviceEntry<D extends Device = Device> {
  readonly device: D;
  /** The device's report plus what the host keeps about it (e.g. the acceptor's cashbox counts). */
  diagnostics(): Promise<Record<string, unknown>>;
  /** Stops the device and whatever the daemon attached to it. */
  stop(): Promise<void>;
}

/**
 * The running devices by name: the daemon, the kiosk mode and the fleet link reach devices
 * through this alone, so a new device kind needs no edit to any of them.
 */
export class DeviceMap {
  readonly #entries = new Map<DeviceName, DeviceEntry>();

  add<N extends DeviceName>(name: N, entry: DeviceEntry<DeviceInterfaces[N]>): void {
    if (this.#entries.has(name)) {
      throw new KioskError(ErrorCode.ConfigInvalid, `device ${name} is already running`, {
        details: { device: name },
      });
    }
    this.#entries.set(name, entry);
  }

  get<N extends DeviceName>(name: N): DeviceInterfaces[N] | undefined {
    // add() keys each entry by the name its interface belongs to.
    return this.#entries.get(name)?.device as DeviceInterfaces[N] | undefined;
  }

  /** Names in start order. */
  names(): DeviceName[] {
    return [...this.#entries.keys()];
  }

  /** The devices as status sources, for the kiosk mode. */
  devices(): ReadonlyMap<DeviceName, Device> {
    return new Map([...this.#entries].map(([name, entry]) => [name, entry.device]));
  }

  statuses(): Partial<Record<DeviceName, DeviceStatus>> {
    return Object.fromEntries([...this.#entries].map(([name, entry]) => [name, entry.device.status]));
  }

  /** Calls back on every device's status change; returns the unsubscribe. */
  onStatus(listener: (name: DeviceName, status: DeviceStatus) => void): () => void {
    const attached = [...this.#entries].map(([name, entry]) => {
      const onStatus = (status: DeviceStatus) => listener(name, status);
      entry.device.on('status', onStatus);
      return () => entry.device.off('status', onStatus);
    });
    return () => {
      for (const detach of attached) detach();
    };
  }

  /** The fleet's resetDevice: the named device reset and its status after. */
  async reset(name: string): Promise<{ device: string; status: DeviceStatus }> {
    const { device } = this.#require(name);
    await device.reset();
    return { device: name, status: device.status };
  }

  /** The fleet's runDiagnostics. */
  async diagnostics(name: string): Promise<Record<string, unknown>> {
    return { device: name, ...(await this.#require(name).diagnostics()) };
  }

  /** Stops every device, the last started first; one failing does not keep the others running. */
  async stop(onError: (name: DeviceName, error: unknown) => void): Promise<void> {
    for (const [name, entry] of [...this.#entries].reverse()) {
      try {
        await entry.stop();
      } catch (error) {
        onError(name, error);
      }
    }
  }

  #require(name: string): DeviceEntry {
    const entry = this.#entries.get(name as DeviceName);
    if (entry === undefined) {
      throw new KioskError(ErrorCode.DeviceOffline, `${name} is not enabled on this kiosk`, {
        details: { device: name },
      });
    }
    return entry;
  }
}
