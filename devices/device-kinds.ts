import { cashAcceptorProtocols } from './cash-acceptor/registry.js';
import type { DeviceName } from './device-names.js';
import { pinPadProtocols } from './pin-pad/registry.js';
import { printerProtocols } from './printer/registry.js';

export interface DeviceKind {
  /** How a refusal names the missing piece. */
  readonly driver: string;
  /** The protocols this build has a driver for (the kind's registry says which). */
  readonly protocols: readonly string[];
}

/**
 * Every device kind with the protocols its registry offers. A kind with none is not built
 * yet: a config that enables it is refused, since the kiosk would take money without it (no
 * receipt, no PIN). Building a kind replaces its empty list with its registry's.
 */
export const deviceKinds: Readonly<Record<DeviceName, DeviceKind>> = {
  cashAcceptor: { driver: 'the banknote acceptor driver', protocols: cashAcceptorProtocols },
  printer: { driver: 'the receipt printer driver', protocols: printerProtocols },
  pinPad: { driver: 'the PIN pad driver', protocols: pinPadProtocols },
};

/** Why a configured device cannot run on this build, or undefined when it can. */
export function unbuiltDeviceProblem(name: DeviceName, protocol: string): string | undefined {
  const kind = deviceKinds[name];
  if (kind.protocols.includes(protocol)) return undefined;
  if (kind.protocols.length === 0) return `${kind.driver} is not in this build`;
  return `${kind.driver} for "${protocol}" is not in this build (built: ${kind.protocols.join(', ')})`;
}
