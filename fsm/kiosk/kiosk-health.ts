import type { DeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';

export interface KioskHealthInput {
  devices: Partial<Record<DeviceName, DeviceStatus>>;
  printerRequired: boolean;
  cashboxFull: boolean;
  /** The journal failed a write (full disk, I/O error) and has not written since. */
  journalUnwritable?: boolean;
}

/** A busy device is working (e.g. the acceptor pausing while a note is in escrow), not broken. */
export function isWorking(status: DeviceStatus | undefined): boolean {
  return status?.state === 'online' || status?.state === 'deviceBusy';
}

function describe(device: DeviceName, status: DeviceStatus | undefined): string {
  if (status === undefined) return `${device}.unknown`;
  return status.reason === undefined
    ? `${device}.${status.state}`
    : `${device}.${status.state}.${status.reason}`;
}

/**
 * Why a customer cannot be served, in stable machine-readable words (empty: nothing stops
 * service). Cash top-up needs a working acceptor with room in its cashbox; the printer only
 * matters when the config requires a receipt; the PIN pad is not part of a top-up.
 */
export function serviceProblems(input: KioskHealthInput): string[] {
  const problems: string[] = [];
  if (!isWorking(input.devices.cashAcceptor))
    problems.push(describe('cashAcceptor', input.devices.cashAcceptor));
  if (input.cashboxFull) problems.push('cashbox.full');
  // No customer while no note could be recorded: money must never go in unjournalled.
  if (input.journalUnwritable) problems.push('journal.unwritable');
  if (input.printerRequired && !isWorking(input.devices.printer))
    problems.push(describe('printer', input.devices.printer));
  return problems;
}

/** Until the devices the kiosk needs have reported a settled status, it is still starting. */
export function devicesSettled(input: Pick<KioskHealthInput, 'devices' | 'printerRequired'>): boolean {
  const settled = (status: DeviceStatus | undefined) => status !== undefined && status.state !== 'starting';
  return settled(input.devices.cashAcceptor) && (!input.printerRequired || settled(input.devices.printer));
}
