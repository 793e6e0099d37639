import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { DeviceStatus } from '../../device-status.js';
import type { EppErrorName, EppPadMessage } from './codec/index.js';

/** What each error reply of docs/devices/epp.md means to a caller: the code it branches on. */
const ERROR_CODES: Readonly<Record<EppErrorName, ErrorCode>> = {
  busy: ErrorCode.DeviceBusy,
  noPin: ErrorCode.DeviceNoPin,
  dukptOverflow: ErrorCode.DeviceDukptOverflow,
  noKey: ErrorCode.DeviceNoKey,
  formatNotSupported: ErrorCode.DeviceNoKey,
  tampered: ErrorCode.DeviceTampered,
  unknownCommand: ErrorCode.DeviceRejectedCommand,
  badParameter: ErrorCode.DeviceRejectedCommand,
  notEntering: ErrorCode.DeviceRejectedCommand,
  internal: ErrorCode.DeviceRejectedCommand,
  unknown: ErrorCode.DeviceRejectedCommand,
};

const EXPLANATIONS: Partial<Record<EppErrorName, string>> = {
  busy: 'an entry is running on the pad',
  noPin: 'the pad holds no finished PIN entry',
  dukptOverflow: 'the DUKPT counter is exhausted: the pad makes no more PIN blocks until a new key is loaded',
  noKey: 'no key is loaded in the pad',
  formatNotSupported: 'the key loaded in the pad cannot make that PIN block format',
  tampered: 'the tamper response fired and the keys are erased',
};

/** The pad's error reply to `command` as a KioskError with the pad's own name and code in its details. */
export function padRefusal(
  device: string,
  command: string,
  reply: Extract<EppPadMessage, { kind: 'error' }>,
): KioskError {
  const why = EXPLANATIONS[reply.error] ?? `error ${reply.error} (0x${reply.errorCode.toString(16)})`;
  return new KioskError(ERROR_CODES[reply.error], `PIN pad ${device} refused ${command}: ${why}`, {
    details: { device, command, padError: reply.error, padErrorCode: reply.errorCode },
  });
}

/** A reply that is no answer this command can have (a vendor's frame, a codec mismatch). */
export function unexpectedReply(device: string, command: string, reply: EppPadMessage): KioskError {
  const why =
    reply.kind === 'unrecognised' ? `an unreadable reply (${reply.reason})` : `a ${reply.kind} reply`;
  return new KioskError(ErrorCode.DeviceProtocol, `PIN pad ${device} answered ${command} with ${why}`, {
    details: { device, command, reply: reply.kind },
  });
}

/**
 * Faults that stay until an operator resets the pad: a tampered pad has lost its keys, and an
 * exhausted DUKPT counter needs a new key. The status poll cannot see either (it reports the key
 * scheme, not the counter), so the driver keeps them.
 */
export type KeyFault = 'tampered' | 'dukptOverflow';

export function keyFaultOf(error: EppErrorName): KeyFault | undefined {
  return error === 'tampered' || error === 'dukptOverflow' ? error : undefined;
}

export function keyFaultStatus(fault: KeyFault): DeviceStatus {
  return fault === 'tampered'
    ? { state: 'fraudAttempt', action: 'maintenance', reason: 'tampered' }
    : { state: 'hardwareError', action: 'maintenance', reason: 'dukptOverflow' };
}

export function keyFaultError(device: string, fault: KeyFault | 'noKey'): KioskError {
  const code = {
    tampered: ErrorCode.DeviceTampered,
    dukptOverflow: ErrorCode.DeviceDukptOverflow,
    noKey: ErrorCode.DeviceNoKey,
  }[fault];
  return new KioskError(code, `PIN pad ${device} cannot take a PIN: ${fault}`, {
    details: { device, fault },
  });
}

export function busyError(device: string, running: string, what: string): KioskError {
  return new KioskError(
    ErrorCode.DeviceBusy,
    `PIN pad ${device} is taking a ${running} entry: ${what} must wait`,
    {
      details: { device, entry: running },
    },
  );
}

/** Codes of a command the pad answered with a refusal or a reply that does not fit, not of a silence. */
const ANSWERED_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.DeviceRejectedCommand,
  ErrorCode.DeviceProtocol,
  ErrorCode.DeviceBusy,
  ErrorCode.DeviceNoPin,
  ErrorCode.DeviceDukptOverflow,
  ErrorCode.DeviceTampered,
  ErrorCode.DeviceNoKey,
]);

export function padAnswered(error: unknown): boolean {
  return error instanceof KioskError && ANSWERED_CODES.has(error.code);
}
