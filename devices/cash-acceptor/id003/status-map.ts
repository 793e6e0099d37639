import type { DeviceStatus } from '../../device-status.js';
import type { AcceptorReply, AcceptorStatusName } from './codec/messages.js';

/**
 * What an ID-003 status means in the DESIGN.md vocabulary, in one table, so the mapping can be
 * read (and documented in docs/devices/id003-driver.md) in one place.
 *
 * `onEnter` names the event the driver emits when the device moves INTO this status from a
 * different one; repeating the same status on every poll emits nothing again.
 */
export type StatusEntryEvent = 'cashboxFull' | 'cashboxRemoved' | 'jamInAcceptor' | 'jamInStacker' | 'cheat';

export interface Id003StatusMeaning {
  status: DeviceStatus;
  onEnter?: StatusEntryEvent;
}

const ONLINE: DeviceStatus = Object.freeze({ state: 'online' });
const STARTING: DeviceStatus = Object.freeze({ state: 'starting' });

export const ID003_STATUS_TABLE: Readonly<Record<AcceptorStatusName, Id003StatusMeaning | undefined>> =
  Object.freeze({
    idling: { status: ONLINE },
    accepting: { status: ONLINE },
    stacking: { status: ONLINE },
    vendValid: { status: ONLINE },
    stacked: { status: ONLINE },
    returning: { status: ONLINE },
    holding: { status: ONLINE },
    disabled: { status: ONLINE },
    initialize: { status: STARTING },
    powerUp: { status: STARTING },
    powerUpBillInAcceptor: { status: STARTING },
    powerUpBillInStacker: { status: STARTING },
    stackerFull: {
      status: { state: 'hardwareError', action: 'clear', reason: 'stackerFull' },
      onEnter: 'cashboxFull',
    },
    stackerOpen: {
      status: { state: 'hardwareError', action: 'clear', reason: 'cashboxRemoved' },
      onEnter: 'cashboxRemoved',
    },
    jamInAcceptor: {
      status: { state: 'hardwareError', action: 'clear', reason: 'jamInAcceptor' },
      onEnter: 'jamInAcceptor',
    },
    jamInStacker: {
      status: { state: 'hardwareError', action: 'maintenance', reason: 'jamInStacker' },
      onEnter: 'jamInStacker',
    },
    pause: { status: { state: 'deviceBusy', action: 'suspend', reason: 'pause' } },
    cheated: { status: { state: 'fraudAttempt', action: 'reset', reason: 'cheated' }, onEnter: 'cheat' },
    // The unit's answers about OUR frames (garbled, or not allowed now), not a state of the unit:
    // they leave the reported status as it was.
    communicationError: undefined,
    invalidCommand: undefined,
  });

/** The unit waits for a note (or is kept from taking one): set-up and enable state can be applied. */
export const IDLE_STATUSES = new Set<AcceptorStatusName>(['idling', 'disabled', 'stackerFull']);
/** The unit has just had power: it needs RESET, and may hold a note from before. */
export const POWER_UP_STATUSES = new Set<AcceptorStatusName>([
  'powerUp',
  'powerUpBillInAcceptor',
  'powerUpBillInStacker',
]);
/** States the unit will not leave on its own: start() resolves rather than wait for ready. */
export const ERROR_STATES = new Set<DeviceStatus['state']>([
  'hardwareError',
  'fraudAttempt',
  'potentialFraud',
  'userError',
  'deviceBusy',
]);

/**
 * The DESIGN status an acceptor reply stands for, or undefined when the reply says nothing about
 * the unit's state (answers to commands, COMMUNICATION ERROR, INVALID COMMAND, unknown codes).
 * ESCROW and REJECTING are normal operation; FAILURE carries its failure name as the reason.
 */
export function meaningOf(reply: AcceptorReply): Id003StatusMeaning | undefined {
  switch (reply.kind) {
    case 'status':
      return ID003_STATUS_TABLE[reply.status];
    case 'escrow':
    case 'rejecting':
      return { status: ONLINE };
    case 'failure':
      return {
        status: {
          state: 'hardwareError',
          action: 'maintenance',
          reason: reply.failure === 'unknown' ? `failure0x${hex(reply.failureCode)}` : reply.failure,
        },
      };
    default:
      return undefined;
  }
}

/**
 * A stable key per distinct unit status, so "the same status again" can be told from a change:
 * `escrow:0x63`, `rejecting:0x77`, `failure:0xa2`, `idling`, `unknown:0x5a`.
 */
export function statusKey(reply: AcceptorReply): string {
  switch (reply.kind) {
    case 'status':
      return reply.status;
    case 'escrow':
      return `escrow:0x${hex(reply.escrowCode)}`;
    case 'rejecting':
      return `rejecting:0x${hex(reply.reasonCode)}`;
    case 'failure':
      return `failure:0x${hex(reply.failureCode)}`;
    case 'unknownStatus':
      return `unknown:0x${hex(reply.code)}`;
    default:
      return reply.kind;
  }
}

export function sameStatus(a: DeviceStatus, b: DeviceStatus): boolean {
  return a.state === b.state && a.action === b.action && a.reason === b.reason;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Bytes as one hex string, for an unknown status's data and setting echoes in logs and events. */
export function hexOf(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('hex');
}
