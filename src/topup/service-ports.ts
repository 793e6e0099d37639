import type { CashAcceptorEvents } from '../../devices/cash-acceptor/cash-acceptor.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { MessageCode } from '../i18n/messages.js';
import type { KioskMode } from './top-up-view.js';

/** What the service needs of the acceptor: the protocol-neutral interface, nothing more. */
export interface ServiceAcceptor {
  readonly status: DeviceStatus;
  enable(denominations: readonly number[]): Promise<void>;
  disable(): Promise<void>;
  on<E extends keyof CashAcceptorEvents>(
    event: E,
    listener: (...args: CashAcceptorEvents[E]) => void,
  ): unknown;
  off<E extends keyof CashAcceptorEvents>(
    event: E,
    listener: (...args: CashAcceptorEvents[E]) => void,
  ): unknown;
}

/** Where the kiosk's mode comes from; the service only asks and listens. */
export interface KioskModeSource {
  readonly mode: KioskMode;
  /** Why a top-up may not start now, as the customer's message; null when it may. */
  refusal(): MessageCode | null;
  transactionStarted(): void;
  transactionEnded(): void;
  /** The journal failed a write (false) or writes again (true): no customer while it cannot. */
  journalWritable(writable: boolean): void;
  onModeChange(listener: (mode: KioskMode) => void): () => void;
}
