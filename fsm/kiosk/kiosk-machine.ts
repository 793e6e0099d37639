import { and, assign, type SnapshotFrom, setup } from 'xstate';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { type DeviceName, isDeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { DEVICE_STATES } from '../../devices/device-status.js';
import { devicesSettled, serviceProblems } from './kiosk-health.js';

export type KioskMode = 'starting' | 'inService' | 'outOfService' | 'maintenance';
/** What fleet or a technician may ask for; starting is never asked for. */
export type RequestedMode = Exclude<KioskMode, 'starting'>;
export const REQUESTED_MODES: readonly RequestedMode[] = ['inService', 'outOfService', 'maintenance'];

export interface ModeRequest {
  mode: RequestedMode;
  /** Who asked: a fleet command id, a technician, ... for the audit trail and the status page. */
  by: string;
}

export type KioskEvent =
  | { type: 'DEVICE_STATUS'; device: DeviceName; status: DeviceStatus }
  /** From the cashbox counters: full before the device itself says so. */
  | { type: 'CASHBOX'; full: boolean }
  /** From the top-up service: the journal failed a write, or wrote again after failing. */
  | { type: 'JOURNAL'; writable: boolean }
  | { type: 'SET_MODE'; mode: RequestedMode; by: string }
  | { type: 'ENTER_MAINTENANCE'; by: string }
  | { type: 'LEAVE_MAINTENANCE'; by: string }
  | { type: 'TRANSACTION_STARTED' }
  | { type: 'TRANSACTION_ENDED' };

export interface KioskInput {
  /** Config `devices.printer.required`. */
  printerRequired: boolean;
  /** The mode the kiosk was last put in by a command, restored across restarts; inService if none. */
  requested?: ModeRequest;
}

export interface KioskContext {
  printerRequired: boolean;
  devices: Partial<Record<DeviceName, DeviceStatus>>;
  cashboxFull: boolean;
  journalUnwritable: boolean;
  requested: ModeRequest;
  /** Where LEAVE_MAINTENANCE goes back to: the mode asked for before maintenance. */
  beforeMaintenance: ModeRequest;
  transactionActive: boolean;
  /** A mode asked for during a customer transaction, applied when it ends. */
  pendingMode: ModeRequest | null;
}

function badInput(field: string, expected: string, got: unknown): KioskError {
  return new KioskError(ErrorCode.ConfigInvalid, `kiosk machine input ${field}: expected ${expected}`, {
    details: { field, got },
  });
}

export function initialKioskContext(input: KioskInput): KioskContext {
  if (typeof input?.printerRequired !== 'boolean')
    throw badInput('printerRequired', 'true or false', input?.printerRequired);
  const requested = input.requested ?? { mode: 'inService', by: 'default' };
  if (!REQUESTED_MODES.includes(requested.mode))
    throw badInput('requested.mode', REQUESTED_MODES.join(', '), requested.mode);
  if (typeof requested.by !== 'string' || requested.by.length === 0)
    throw badInput('requested.by', 'a non-empty string', requested.by);
  return {
    printerRequired: input.printerRequired,
    devices: {},
    cashboxFull: false,
    journalUnwritable: false,
    requested: { ...requested },
    beforeMaintenance:
      requested.mode === 'maintenance' ? { mode: 'inService', by: requested.by } : { ...requested },
    transactionActive: false,
    pendingMode: null,
  };
}

/** The mode the kiosk should be in now, if no customer were in the middle of a transaction. */
export function targetMode(context: KioskContext): RequestedMode {
  if (context.requested.mode !== 'inService') return context.requested.mode;
  return serviceProblems(context).length === 0 ? 'inService' : 'outOfService';
}

function applyRequest(context: KioskContext, request: ModeRequest): Partial<KioskContext> {
  if (request.mode === 'maintenance')
    return {
      requested: request,
      beforeMaintenance:
        context.requested.mode === 'maintenance' ? context.beforeMaintenance : context.requested,
    };
  return { requested: request, beforeMaintenance: request };
}

function requestOf(event: KioskEvent, context: KioskContext): ModeRequest | null {
  switch (event.type) {
    case 'SET_MODE':
      return { mode: event.mode, by: event.by };
    case 'ENTER_MAINTENANCE':
      return { mode: 'maintenance', by: event.by };
    case 'LEAVE_MAINTENANCE':
      return { mode: context.beforeMaintenance.mode, by: event.by };
    default:
      return null;
  }
}

const isKnownStatus = (status: unknown): status is DeviceStatus =>
  typeof status === 'object' && status !== null && DEVICE_STATES.includes((status as DeviceStatus).state);

/**
 * The kiosk's service mode, derived from device statuses and policy and from commands. It never
 * changes mode under a customer: while a transaction runs, commands wait in pendingMode and
 * device changes only take effect when the transaction ends.
 */
export const kioskMachine = setup({
  types: {
    context: {} as KioskContext,
    events: {} as KioskEvent,
    input: {} as KioskInput,
  },
  guards: {
    noTransaction: ({ context }) => !context.transactionActive,
    transactionActive: ({ context }) => context.transactionActive,
    targetIs: ({ context }, params: { mode: RequestedMode }) => targetMode(context) === params.mode,
    requestedIs: ({ context }, params: { mode: RequestedMode }) => context.requested.mode === params.mode,
    settledAndTargetIs: ({ context }, params: { mode: RequestedMode }) =>
      devicesSettled(context) && targetMode(context) === params.mode,
    freeAndTargetIs: ({ context }, params: { mode: RequestedMode }) =>
      !context.transactionActive && targetMode(context) === params.mode,
    validDeviceStatus: ({ event }) =>
      event.type === 'DEVICE_STATUS' && isDeviceName(event.device) && isKnownStatus(event.status),
    validModeRequest: ({ event }) =>
      (event.type !== 'SET_MODE' || REQUESTED_MODES.includes(event.mode)) &&
      'by' in event &&
      typeof event.by === 'string' &&
      event.by.length > 0,
    inMaintenance: ({ context }) => context.requested.mode === 'maintenance',
  },
  actions: {
    recordDeviceStatus: assign(({ context, event }) =>
      event.type === 'DEVICE_STATUS'
        ? { devices: { ...context.devices, [event.device]: { ...event.status } } }
        : {},
    ),
    recordCashbox: assign(({ event }) =>
      event.type === 'CASHBOX' ? { cashboxFull: event.full === true } : {},
    ),
    recordJournal: assign(({ event }) =>
      event.type === 'JOURNAL' ? { journalUnwritable: event.writable !== true } : {},
    ),
    applyModeRequest: assign(({ context, event }) => {
      const request = requestOf(event, context);
      return request ? { ...applyRequest(context, request), pendingMode: null } : {};
    }),
    deferModeRequest: assign(({ context, event }) => ({ pendingMode: requestOf(event, context) })),
    startTransaction: assign({ transactionActive: true }),
    endTransaction: assign(({ context }) => ({
      transactionActive: false,
      pendingMode: null,
      ...(context.pendingMode ? applyRequest(context, context.pendingMode) : {}),
    })),
  },
}).createMachine({
  id: 'kiosk',
  context: ({ input }) => initialKioskContext(input),
  initial: 'starting',
  on: {
    DEVICE_STATUS: { guard: 'validDeviceStatus', actions: 'recordDeviceStatus' },
    CASHBOX: { actions: 'recordCashbox' },
    JOURNAL: { actions: 'recordJournal' },
    SET_MODE: [
      { guard: and(['validModeRequest', 'transactionActive']), actions: 'deferModeRequest' },
      { guard: 'validModeRequest', actions: 'applyModeRequest' },
    ],
    ENTER_MAINTENANCE: [
      { guard: and(['validModeRequest', 'transactionActive']), actions: 'deferModeRequest' },
      { guard: 'validModeRequest', actions: 'applyModeRequest' },
    ],
    TRANSACTION_ENDED: { guard: 'transactionActive', actions: 'endTransaction' },
  },
  states: {
    starting: {
      always: [
        { guard: { type: 'targetIs', params: { mode: 'maintenance' } }, target: 'maintenance' },
        {
          guard: { type: 'settledAndTargetIs', params: { mode: 'inService' } },
          target: 'inService',
        },
        {
          guard: { type: 'settledAndTargetIs', params: { mode: 'outOfService' } },
          target: 'outOfService',
        },
        // A command to stay out of service needs no device to answer first.
        { guard: { type: 'requestedIs', params: { mode: 'outOfService' } }, target: 'outOfService' },
      ],
    },
    inService: {
      always: [
        {
          guard: { type: 'freeAndTargetIs', params: { mode: 'maintenance' } },
          target: 'maintenance',
        },
        {
          guard: { type: 'freeAndTargetIs', params: { mode: 'outOfService' } },
          target: 'outOfService',
        },
      ],
      on: { TRANSACTION_STARTED: { guard: 'noTransaction', actions: 'startTransaction' } },
    },
    outOfService: {
      always: [
        { guard: { type: 'targetIs', params: { mode: 'maintenance' } }, target: 'maintenance' },
        { guard: { type: 'targetIs', params: { mode: 'inService' } }, target: 'inService' },
      ],
    },
    maintenance: {
      on: {
        LEAVE_MAINTENANCE: { guard: and(['validModeRequest', 'inMaintenance']), actions: 'applyModeRequest' },
      },
      always: [
        { guard: { type: 'targetIs', params: { mode: 'inService' } }, target: 'inService' },
        { guard: { type: 'targetIs', params: { mode: 'outOfService' } }, target: 'outOfService' },
      ],
    },
  },
});

export type KioskMachine = typeof kioskMachine;
export type KioskSnapshot = SnapshotFrom<KioskMachine>;

/** The only gate for a new top-up: in service, and no other customer mid-transaction. */
export function canStartTopUp(snapshot: KioskSnapshot): boolean {
  return snapshot.matches('inService') && !snapshot.context.transactionActive;
}

export interface KioskSummary {
  mode: KioskMode;
  problems: string[];
  requested: ModeRequest;
  pendingMode: ModeRequest | null;
  transactionActive: boolean;
}

/** For the fleet status topic, the health report and the service page. */
export function kioskSummary(snapshot: KioskSnapshot): KioskSummary {
  return {
    mode: snapshot.value as KioskMode,
    problems: serviceProblems(snapshot.context),
    requested: snapshot.context.requested,
    pendingMode: snapshot.context.pendingMode,
    transactionActive: snapshot.context.transactionActive,
  };
}
