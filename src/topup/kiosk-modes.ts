import type { DeviceStatus } from '../../devices/device-status.js';
import type { MessageCode } from '../i18n/messages.js';
import type { Logger } from '../log.js';
import type { KioskModeSource } from './top-up-service.js';
import type { KioskMode } from './top-up-view.js';

/** The operator's choice (fleet command or technician), applied between customers. */
export interface OperatorModes {
  readonly mode: KioskMode;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
}

export interface StatusSource {
  readonly status: DeviceStatus;
  on(event: 'status', listener: (status: DeviceStatus) => void): unknown;
  off(event: 'status', listener: (status: DeviceStatus) => void): unknown;
}

/**
 * The kiosk's mode from what it depends on: `starting` until `ready` resolves (start-up
 * recovery has reconciled the journal with the acceptor), then the operator's choice, and
 * `inService` only while the acceptor is online. A change that comes while a customer is being
 * served waits until the transaction ends: the kiosk never leaves a customer in the middle.
 */
export function startKioskModes(input: {
  acceptor: StatusSource;
  operator: OperatorModes;
  ready: Promise<unknown>;
  logger: Logger;
}): KioskModeSource & { stop(): void } {
  const { acceptor, operator } = input;
  const log = input.logger.child({ component: 'kiosk-mode' });
  const listeners = new Set<(mode: KioskMode) => void>();
  let mode: KioskMode = 'starting';
  let ready = false;
  let inTransaction = false;
  let stopped = false;

  const derive = (): KioskMode => {
    if (!ready) return 'starting';
    if (operator.mode === 'maintenance' || operator.mode === 'outOfService') return operator.mode;
    return acceptor.status.state === 'online' ? 'inService' : 'outOfService';
  };
  const update = (): void => {
    if (stopped || inTransaction) return;
    const next = derive();
    if (next === mode) return;
    log.info({ from: mode, to: next, acceptor: acceptor.status }, 'kiosk mode');
    mode = next;
    for (const listener of listeners) listener(next);
  };
  const detachOperator = operator.onModeChange(update);
  acceptor.on('status', update);
  input.ready.then(
    () => {
      ready = true;
      update();
    },
    (error: unknown) => log.error({ err: error }, 'start-up recovery failed: the kiosk stays starting'),
  );

  return {
    get mode() {
      return mode;
    },
    refusal(): MessageCode | null {
      switch (mode) {
        case 'inService':
          // The acceptor may have dropped while the mode waited for a transaction to end.
          return acceptor.status.state === 'online' ? null : 'acceptorOffline';
        case 'starting':
          return 'kioskStarting';
        case 'maintenance':
          return 'kioskMaintenance';
        case 'outOfService':
          return ready && operator.mode === 'inService' ? 'acceptorOffline' : 'kioskOutOfService';
      }
    },
    transactionStarted() {
      inTransaction = true;
    },
    transactionEnded() {
      inTransaction = false;
      update();
    },
    onModeChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      acceptor.off('status', update);
      detachOperator();
      listeners.clear();
    },
  };
}
