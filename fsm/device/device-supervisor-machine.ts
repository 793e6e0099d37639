import { assign, emit, type SnapshotFrom, setup } from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import {
  DEVICE_STATES,
  type DeviceState,
  type DeviceStatus,
  type ErrorAction,
} from '../../devices/device-status.js';

export type SupervisorEvent =
  /** The transport opened a line session to the device. */
  | { type: 'CONNECTED' }
  /** The line is gone (cable pulled, port vanished): nothing the device says can be heard. */
  | { type: 'TRANSPORT_LOST'; reason?: string }
  /** The driver's status, in the DESIGN.md vocabulary. */
  | { type: 'STATUS'; status: DeviceStatus };

export type SupervisorEmitted = { type: 'device.reset'; device: string; attempt: number };

export interface SupervisorInput {
  device: string;
  /** Resets asked for in a row without the device coming back before the supervisor gives up and waits for staff. */
  maxResetAttempts?: number;
  recoverAfterMs: number;
  recoveryTimeoutMs: number;
  /** Wall clock for `since`; tests pass a simulated one. */
  now?: () => number;
}

export interface SupervisorContext {
  device: string;
  status: DeviceStatus;
  since: number;
  faults: number;
  lastFault: DeviceStatus | null;
  resetAttempts: number;
  maxResetAttempts: number;
  recoverAfterMs: number;
  recoveryTimeoutMs: number;
  now: () => number;
}

export type SupervisorState = 'connecting' | 'initialising' | 'online' | 'fault' | 'recovering' | 'offline';

const WORKING: readonly DeviceState[] = ['online', 'deviceBusy'];
const UNREACHABLE: readonly DeviceState[] = ['offline', 'powerOff', 'noDevice'];
const FAULTS: readonly DeviceState[] = ['hardwareError', 'userError', 'fraudAttempt', 'potentialFraud'];
/** The device clears these by itself or after a reset; the others need a person. */
const SELF_RECOVERING: readonly ErrorAction[] = ['reset', 'suspend'];

export const DEFAULT_MAX_RESET_ATTEMPTS = 3;

function badInput(field: string, expected: string, got: unknown): KioskError {
  return new KioskError(ErrorCode.ConfigInvalid, `device supervisor input ${field}: expected ${expected}`, {
    details: { field, got },
  });
}

export function initialSupervisorContext(input: SupervisorInput): SupervisorContext {
  if (typeof input?.device !== 'string' || input.device.length === 0)
    throw badInput('device', 'a device name', input?.device);
  const count = (
    field: 'recoverAfterMs' | 'recoveryTimeoutMs' | 'maxResetAttempts',
    value: unknown,
    min: number,
  ) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
      throw badInput(field, `an integer of at least ${min}`, value);
    return value;
  };
  const now = input.now ?? Date.now;
  return {
    device: input.device,
    status: { state: 'starting' },
    since: now(),
    faults: 0,
    lastFault: null,
    resetAttempts: 0,
    maxResetAttempts: count('maxResetAttempts', input.maxResetAttempts ?? DEFAULT_MAX_RESET_ATTEMPTS, 0),
    recoverAfterMs: count('recoverAfterMs', input.recoverAfterMs, 1),
    recoveryTimeoutMs: count('recoveryTimeoutMs', input.recoveryTimeoutMs, 1),
    now,
  };
}

const statusOf = (event: SupervisorEvent): DeviceStatus | null =>
  event.type === 'STATUS' &&
  typeof event.status === 'object' &&
  event.status !== null &&
  DEVICE_STATES.includes(event.status.state)
    ? event.status
    : null;

/**
 * One device's life as the daemon sees it: connect, initialise, serve, fail and recover. It
 * asks for a reset (through the `requestReset` action, which emits `device.reset` unless the
 * wiring provides its own) only for faults the device can clear itself, and not forever.
 */
export const deviceSupervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
    emitted: {} as SupervisorEmitted,
  },
  guards: {
    working: ({ event }) => WORKING.includes(statusOf(event)?.state as DeviceState),
    unreachable: ({ event }) => UNREACHABLE.includes(statusOf(event)?.state as DeviceState),
    faulty: ({ event }) => FAULTS.includes(statusOf(event)?.state as DeviceState),
    restarting: ({ event }) => statusOf(event)?.state === 'starting',
    differentFault: ({ context, event }) => {
      const next = statusOf(event);
      return (
        next !== null &&
        FAULTS.includes(next.state) &&
        (next.state !== context.status.state ||
          next.action !== context.status.action ||
          next.reason !== context.status.reason)
      );
    },
    resetMayHelp: ({ context }) =>
      SELF_RECOVERING.includes(context.status.action as ErrorAction) &&
      context.resetAttempts < context.maxResetAttempts,
  },
  actions: {
    recordStatus: assign(({ context, event }) => ({ status: statusOf(event) ?? context.status })),
    recordOffline: assign(({ event }) => ({
      status: {
        state: 'offline' as const,
        ...(event.type === 'TRANSPORT_LOST' && event.reason ? { reason: event.reason } : {}),
      },
    })),
    markSince: assign(({ context }) => ({ since: context.now() })),
    countFault: assign(({ context }) => ({ faults: context.faults + 1, lastFault: context.status })),
    noteFault: assign(({ context }) => ({ lastFault: context.status })),
    countResetAttempt: assign(({ context }) => ({ resetAttempts: context.resetAttempts + 1 })),
    clearResetAttempts: assign({ resetAttempts: 0 }),
    requestReset: emit(({ context }) => ({
      type: 'device.reset' as const,
      device: context.device,
      attempt: context.resetAttempts,
    })),
  },
  delays: {
    recoverAfter: ({ context }) => context.recoverAfterMs,
    recoveryTimeout: ({ context }) => context.recoveryTimeoutMs,
  },
}).createMachine({
  id: 'deviceSupervisor',
  context: ({ input }) => initialSupervisorContext(input),
  initial: 'connecting',
  on: {
    TRANSPORT_LOST: { target: '.offline', actions: 'recordOffline' },
  },
  states: {
    connecting: {
      entry: 'markSince',
      on: { CONNECTED: { target: 'initialising' } },
    },
    initialising: {
      entry: 'markSince',
      on: {
        STATUS: [
          { guard: 'working', target: 'online', actions: 'recordStatus' },
          { guard: 'faulty', target: 'fault', actions: ['recordStatus', 'countFault'] },
          { guard: 'unreachable', target: 'offline', actions: 'recordStatus' },
          { guard: 'restarting', actions: 'recordStatus' },
        ],
      },
    },
    online: {
      entry: ['markSince', 'clearResetAttempts'],
      on: {
        STATUS: [
          { guard: 'working', actions: 'recordStatus' },
          { guard: 'faulty', target: 'fault', actions: ['recordStatus', 'countFault'] },
          { guard: 'unreachable', target: 'offline', actions: 'recordStatus' },
          { guard: 'restarting', target: 'initialising', actions: 'recordStatus' },
        ],
      },
    },
    // One fault episode, however many resets it takes; a failed reset comes back here uncounted.
    fault: {
      entry: 'markSince',
      after: { recoverAfter: { guard: 'resetMayHelp', target: 'recovering' } },
      on: {
        STATUS: [
          { guard: 'working', target: 'online', actions: 'recordStatus' },
          // A different fault restarts the wait, so its own action decides whether a reset follows;
          // the same fault reported again changes nothing.
          { guard: 'differentFault', target: 'fault', reenter: true, actions: ['recordStatus', 'noteFault'] },
          { guard: 'unreachable', target: 'offline', actions: 'recordStatus' },
          { guard: 'restarting', target: 'initialising', actions: 'recordStatus' },
        ],
      },
    },
    recovering: {
      entry: ['markSince', 'countResetAttempt', 'requestReset'],
      after: { recoveryTimeout: { target: 'fault' } },
      on: {
        STATUS: [
          { guard: 'working', target: 'online', actions: 'recordStatus' },
          { guard: 'faulty', target: 'fault', actions: ['recordStatus', 'noteFault'] },
          { guard: 'unreachable', target: 'offline', actions: 'recordStatus' },
          // A reset goes through power-up: the device says starting before it is back.
          { guard: 'restarting', actions: 'recordStatus' },
        ],
      },
    },
    offline: {
      entry: 'markSince',
      on: {
        CONNECTED: { target: 'initialising' },
        STATUS: [
          { guard: 'restarting', target: 'initialising', actions: 'recordStatus' },
          { guard: 'working', target: 'online', actions: 'recordStatus' },
          { guard: 'faulty', target: 'fault', actions: ['recordStatus', 'countFault'] },
        ],
      },
    },
  },
});

export type DeviceSupervisorMachine = typeof deviceSupervisorMachine;
export type DeviceSupervisorSnapshot = SnapshotFrom<DeviceSupervisorMachine>;

export interface SupervisorSummary {
  device: string;
  state: SupervisorState;
  status: DeviceStatus;
  /** Epoch ms when the supervisor entered its current state. */
  since: number;
  faults: number;
  lastFault: DeviceStatus | null;
  resetAttempts: number;
}

export function supervisorSummary(snapshot: DeviceSupervisorSnapshot): SupervisorSummary {
  const c = snapshot.context;
  return {
    device: c.device,
    state: snapshot.value as SupervisorState,
    status: c.status,
    since: c.since,
    faults: c.faults,
    lastFault: c.lastFault,
    resetAttempts: c.resetAttempts,
  };
}
