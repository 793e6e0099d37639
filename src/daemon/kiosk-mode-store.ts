import { EventEmitter } from 'node:events';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type { KioskMode } from '../fleet-link/fleet-link-context.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';

/** What an operator (the fleet, a technician) may switch the kiosk to. */
export type OperatorMode = 'inService' | 'outOfService';
const OPERATOR_MODES: readonly OperatorMode[] = ['inService', 'outOfService'];

/** The journal's snapshot key for the operator's last choice, so it survives a restart. */
export const OPERATOR_MODE_SNAPSHOT = 'operatorMode';
const SNAPSHOT_VERSION = 1;
/** How often a pending switch looks whether the current customer has finished. */
const CUSTOMER_POLL_MS = 250;

/**
 * Where an operator's mode switch is applied: it waits until no transaction is open in the
 * journal (the current customer finishes; a new one is not this store's to refuse), then
 * records the mode durably and tells listeners. The last request wins: an earlier one still
 * waiting resolves with the mode that was finally applied.
 */
export class KioskModeStore extends EventEmitter<{ change: [KioskMode] }> {
  readonly #journal: Journal;
  readonly #log: Logger;
  #mode: KioskMode;
  #wanted: OperatorMode | undefined;
  #waiters: Array<{ resolve: (mode: KioskMode) => void; reject: (error: unknown) => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { journal: Journal; logger: Logger }) {
    super();
    this.#journal = options.journal;
    this.#log = options.logger;
    const saved = options.journal.snapshots.get(OPERATOR_MODE_SNAPSHOT)?.snapshot['mode'];
    this.#mode = OPERATOR_MODES.includes(saved as OperatorMode) ? (saved as OperatorMode) : 'inService';
  }

  get mode(): KioskMode {
    return this.#mode;
  }

  onModeChange(listener: (mode: KioskMode) => void): () => void {
    this.on('change', listener);
    return () => this.off('change', listener);
  }

  /** Resolves with the applied mode once no customer is being served. */
  requestMode(mode: OperatorMode, by: string): Promise<KioskMode> {
    if (!OPERATOR_MODES.includes(mode)) {
      return Promise.reject(
        new KioskError(
          ErrorCode.FleetRejectedCommand,
          `mode ${JSON.stringify(mode)} is not inService or outOfService`,
          {
            details: { field: 'mode' },
          },
        ),
      );
    }
    if (this.#closed)
      return Promise.reject(new KioskError(ErrorCode.FleetRejectedCommand, 'the kiosk is stopping'));
    this.#wanted = mode;
    this.#log.info({ mode, by }, 'kiosk mode requested');
    return new Promise<KioskMode>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#tryApply(by);
    });
  }

  /** Pending requests fail; the mode stays what it is. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters)
      waiter.reject(new KioskError(ErrorCode.FleetRejectedCommand, 'the kiosk is stopping'));
  }

  #tryApply(by: string): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wanted = this.#wanted;
    if (wanted === undefined || this.#closed) return;
    let busy: boolean;
    try {
      busy = this.#journal.summary().openTransactions > 0;
      if (!busy && wanted !== this.#mode) {
        this.#journal.snapshots.save(OPERATOR_MODE_SNAPSHOT, {
          version: SNAPSHOT_VERSION,
          snapshot: { mode: wanted },
        });
        this.#journal.audit.append(by, 'kiosk.mode', { before: this.#mode, after: wanted });
      }
    } catch (error) {
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      this.#wanted = undefined;
      return;
    }
    if (busy) {
      this.#timer = setTimeout(() => this.#tryApply(by), CUSTOMER_POLL_MS);
      return;
    }
    this.#wanted = undefined;
    const changed = wanted !== this.#mode;
    this.#mode = wanted;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(wanted);
    if (changed) {
      this.#log.info({ mode: wanted, by }, 'kiosk mode applied');
      this.emit('change', wanted);
    }
  }
}
