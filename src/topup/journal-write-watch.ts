import { ErrorCode, isKioskError } from '../../core/errors.js';
import type { Journal } from '../journal/journal.js';
import { ulid } from '../journal/ulid.js';
import type { Logger } from '../log.js';
import type { AlertSink } from '../recovery/recovery-alerts.js';

/** How often a journal that failed a write is tried again. */
export const JOURNAL_PROBE_MS = 2_000;
const DEVICE = 'journal';

/**
 * Watches for the journal failing to write (full disk, I/O error). No customer may be served
 * while it cannot, since no note could be recorded: on the first failed write the kiosk goes
 * out of service and an alert is raised; then a small audited write is tried every few seconds,
 * and the first that succeeds brings the kiosk back and clears the alert. The probe is a real
 * write through the same path as a transaction's, so "back" means the journal can write again.
 */
export class JournalWriteWatch {
  readonly #journal: Journal;
  readonly #onChange: (writable: boolean) => void;
  readonly #alerts: AlertSink | undefined;
  readonly #log: Logger;
  readonly #probeMs: number;
  #probe: NodeJS.Timeout | undefined;
  #alertId: string | undefined;

  constructor(options: {
    journal: Journal;
    onChange: (writable: boolean) => void;
    alerts?: AlertSink;
    logger: Logger;
    probeMs?: number;
  }) {
    this.#journal = options.journal;
    this.#onChange = options.onChange;
    this.#alerts = options.alerts;
    this.#log = options.logger;
    this.#probeMs = options.probeMs ?? JOURNAL_PROBE_MS;
  }

  get writable(): boolean {
    return this.#probe === undefined;
  }

  /** Tells the watch a journal write failed; only a journal I/O failure counts. */
  writeFailed(error: unknown): void {
    if (!isKioskError(error, ErrorCode.JournalIo) || !this.writable || !this.#journal.isOpen) return;
    const reason = error.message;
    this.#alertId = ulid();
    this.#log.error({ err: error }, 'journal cannot write: the kiosk is out of service until it can');
    this.#onChange(false);
    this.#alerts?.raise({
      alertId: this.#alertId,
      device: DEVICE,
      kind: 'journalUnwritable',
      action: 'maintenance',
      message: 'the journal cannot write (disk full or failing); no customer is served until it can',
      details: { reason },
    });
    this.#probe = setInterval(() => this.#tryWrite(), this.#probeMs);
    this.#probe.unref();
  }

  #tryWrite(): void {
    if (!this.#journal.isOpen) return;
    try {
      this.#journal.audit.append('kioskd', 'journal.writableAgain', {});
    } catch {
      return;
    }
    clearInterval(this.#probe);
    this.#probe = undefined;
    this.#log.warn('journal writes again: the kiosk may serve customers');
    this.#onChange(true);
    this.#alerts?.raise({
      alertId: this.#alertId ?? ulid(),
      device: DEVICE,
      kind: 'journalUnwritable',
      action: 'maintenance',
      message: 'the journal writes again',
      details: {},
      cleared: true,
    });
  }

  stop(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }
}
