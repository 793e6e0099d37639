import { createActor } from 'xstate';
import type { DeviceName } from '../../devices/device-names.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { canStartTopUp, kioskMachine, kioskSummary } from '../../fsm/kiosk/kiosk-machine.js';
import type { MessageCode } from '../i18n/messages.js';
import type { Logger } from '../log.js';
import type { KioskModeSource } from './service-ports.js';
import type { KioskMode } from './top-up-view.js';

/** The operator's choice (fleet command or technician), applied between customers. */
export interface OperatorModes {
  readonly mode: KioskMode;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
}

/** A technician's service mode (XFS4IoT VendorMode): in once the customer in progress is done, out to the mode before. */
export interface MaintenanceControl {
  enterMaintenance(by: string): void;
  leaveMaintenance(by: string): void;
}

export interface StatusSource {
  readonly status: DeviceStatus;
  on(event: 'status', listener: (status: DeviceStatus) => void): unknown;
  off(event: 'status', listener: (status: DeviceStatus) => void): unknown;
}

/**
 * The kiosk machine run for real: device statuses and the operator's choice in, the mode out.
 * Statuses reach it only once `ready` resolves (start-up recovery has reconciled the journal
 * with the acceptor), so the kiosk stays `starting`, taking no customer, until then. The machine
 * never changes mode under a customer: the service tells it when a transaction starts and ends.
 */
export function startKioskModes(input: {
  /** Every device the kiosk runs, by name: each one's status reaches the kiosk machine. */
  devices: ReadonlyMap<DeviceName, StatusSource>;
  operator: OperatorModes;
  ready: Promise<unknown>;
  printerRequired: boolean;
  logger: Logger;
}): KioskModeSource & MaintenanceControl & { stop(): void } {
  const { devices, operator } = input;
  const acceptor = devices.get('cashAcceptor');
  const log = input.logger.child({ component: 'kiosk-mode' });
  const listeners = new Set<(mode: KioskMode) => void>();
  const actor = createActor(kioskMachine, { input: { printerRequired: input.printerRequired } });
  let mode = actor.getSnapshot().value as KioskMode;
  actor.subscribe((snapshot) => {
    const next = snapshot.value as KioskMode;
    if (next === mode) return;
    log.info({ from: mode, to: next, problems: kioskSummary(snapshot).problems }, 'kiosk mode');
    mode = next;
    for (const listener of listeners) listener(next);
  });
  actor.start();

  let stopped = false;
  const statusListeners = [...devices].map(([device, source]) => {
    const listener = (status: DeviceStatus): void => {
      actor.send({ type: 'DEVICE_STATUS', device, status });
    };
    return { source, listener };
  });
  const onOperator = (wanted: KioskMode): void => {
    if (wanted !== 'starting') actor.send({ type: 'SET_MODE', mode: wanted, by: 'operator' });
  };
  let detachOperator = (): void => {};
  input.ready.then(
    () => {
      if (stopped) return;
      onOperator(operator.mode);
      detachOperator = operator.onModeChange(onOperator);
      for (const { source, listener } of statusListeners) {
        source.on('status', listener);
        listener(source.status);
      }
    },
    (error: unknown) => log.error({ err: error }, 'start-up recovery failed: the kiosk stays starting'),
  );

  return {
    get mode() {
      return mode;
    },
    refusal(): MessageCode | null {
      const snapshot = actor.getSnapshot();
      if (canStartTopUp(snapshot)) return null;
      const acceptorState = acceptor?.status.state;
      const acceptorDown = acceptorState !== 'online' && acceptorState !== 'deviceBusy';
      switch (mode) {
        case 'starting':
          return 'kioskStarting';
        case 'maintenance':
          return 'kioskMaintenance';
        case 'inService':
          return acceptorDown ? 'acceptorOffline' : 'topUpActive';
        case 'outOfService':
          return snapshot.context.requested.mode === 'inService' && acceptorDown
            ? 'acceptorOffline'
            : 'kioskOutOfService';
      }
    },
    transactionStarted() {
      actor.send({ type: 'TRANSACTION_STARTED' });
    },
    journalWritable(writable) {
      actor.send({ type: 'JOURNAL', writable });
    },
    transactionEnded() {
      actor.send({ type: 'TRANSACTION_ENDED' });
    },
    enterMaintenance(by) {
      actor.send({ type: 'ENTER_MAINTENANCE', by });
    },
    leaveMaintenance(by) {
      actor.send({ type: 'LEAVE_MAINTENANCE', by });
    },
    onModeChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      for (const { source, listener } of statusListeners) source.off('status', listener);
      detachOperator();
      listeners.clear();
      actor.stop();
    },
  };
}
