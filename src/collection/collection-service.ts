import { ErrorCode, KioskError } from '../../core/errors.js';
import type { PaperColumns } from '../../devices/printer/printer-document.js';
import type { OperatorMode } from '../daemon/kiosk-mode-store.js';
import type { CollectionRecord } from '../journal/collection-types.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../log.js';
import type { ReceiptsConfig } from '../receipts/receipt-config.js';
import { printFailureOf, type ReceiptOutput } from '../receipts/receipt-printing.js';
import type { AlertSink } from '../recovery/recovery-alerts.js';
import type { CustomerSlot } from '../topup/customer-slot.js';
import type { KioskMode } from '../topup/top-up-view.js';
import { collectionReceipt } from './collection-receipt.js';

/** The journal snapshot holding the mode to restore when the open collection ends. */
export const COLLECTION_MODE_SNAPSHOT = 'cashCollection';
const SNAPSHOT_VERSION = 1;
const OPERATOR_MODES: readonly OperatorMode[] = ['inService', 'outOfService'];

/** The operator's mode switch (KioskModeStore): applied between customers, durable, audited with `by`. */
export interface CollectionModes {
  readonly mode: KioskMode;
  requestMode(mode: OperatorMode, by: string): Promise<KioskMode>;
}

export interface CollectionServiceOptions {
  journal: Journal;
  /** The cash acceptor whose cashbox is collected (the journal's device name). */
  device: string;
  /** The notes the acceptor takes (config currency.denominations), fen. */
  denominations: readonly number[];
  customers: CustomerSlot;
  modes: CollectionModes;
  alerts: AlertSink;
  /** The running printer, or undefined when none is configured (the slip is then reported not printed). */
  printer: () => ReceiptOutput | undefined;
  receipt: {
    kioskId: string;
    config: Pick<ReceiptsConfig, 'operatorName' | 'hallName' | 'timeZone'>;
    columns: PaperColumns;
    minorUnitsPerMajor: number;
  };
  logger: Logger;
  clock?: () => Date;
}

/** What printing the collection slip came to; a printer fault is reported here, never thrown. */
export type CollectionReceiptOutcome =
  | { printed: true }
  | { printed: false; reason: string; linesPrinted: number | null; cut: boolean | null };

/**
 * Cash collection as the technician's service mode drives it (XFS4IoT Storage exchange):
 *
 * 1. `start(technician)`: refused while a customer is served; takes the customer slot (no
 *    top-up starts, so the acceptor stays disabled: it is only enabled inside a top-up),
 *    journals the collection and puts the kiosk out of service.
 * 2. the technician removes the cashbox and counts it; `enterCounts(id, counts, technician)`
 *    compares with what the journal credited since the last collection (may be repeated).
 * 3. `printReceipt(id)`: the slip, zh-CN; a printer fault is returned, never blocks.
 * 4. the empty cashbox goes back in; `end(id, technician)`: the record is final and queued for
 *    the fleet, the counters restart at zero, a discrepancy raises `collectionDiscrepancy`, and
 *    the kiosk returns to the mode it had before.
 *
 * Everything lives in the journal: after a restart `resume()` finds the open collection and
 * holds the kiosk out of service again, and `current()` shows it. Errors are KioskErrors:
 * JournalBadInput (bad counts, id), JournalNotFound, JournalConflict (wrong step), ApiConflict
 * (a customer is being served).
 */
export class CollectionService {
  readonly #o: CollectionServiceOptions;
  readonly #log: Logger;
  readonly #clock: () => Date;
  #releaseSlot: (() => void) | undefined;
  /** One step at a time: start and end await the mode switch, and must not interleave. */
  #busy = false;

  constructor(options: CollectionServiceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'collection' });
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Start-up: an open collection holds the slot and keeps the kiosk out of service again; a
   * collection that ended just before a restart gets its mode restored. Returns the open one.
   */
  async resume(): Promise<CollectionRecord | null> {
    const open = this.#o.journal.collections.open();
    const saved = this.#savedModeBefore();
    if (open !== null) {
      this.#releaseSlot ??= this.#o.customers.claim('cashCollection');
      this.#log.warn(
        { collectionId: open.collectionId, state: open.state },
        'cash collection resumed after a restart',
      );
      await this.#o.modes.requestMode('outOfService', open.startedBy);
      return open;
    }
    if (saved !== null) {
      // Ended (or never journaled) before the restart: the mode it took away is given back.
      await this.#o.modes.requestMode(saved.modeBefore, saved.technician);
      this.#o.journal.snapshots.delete(COLLECTION_MODE_SNAPSHOT);
    }
    return null;
  }

  /** The open collection (started or counted), or null; read from the journal. */
  current(): CollectionRecord | null {
    return this.#o.journal.collections.open();
  }

  /** Newest first, at most `limit` (1..500). */
  recent(limit: number): CollectionRecord[] {
    return this.#o.journal.collections.recent(limit);
  }

  async start(technician: string): Promise<CollectionRecord> {
    return this.#step(async () => {
      const who = technicianOf(technician);
      const { journal, customers, modes } = this.#o;
      const open = journal.collections.open();
      if (open !== null) {
        throw new KioskError(
          ErrorCode.JournalConflict,
          `collection ${open.collectionId} is already open (${open.state}); end it first`,
          { details: { collectionId: open.collectionId, state: open.state } },
        );
      }
      const release = customers.claim('cashCollection');
      try {
        if (journal.summary().openTransactions > 0) {
          throw new KioskError(ErrorCode.ApiConflict, 'a customer transaction is still open in the journal', {
            details: { messageCode: 'topUpActive' },
          });
        }
        const modeBefore: OperatorMode = OPERATOR_MODES.includes(modes.mode as OperatorMode)
          ? (modes.mode as OperatorMode)
          : 'inService';
        // Saved before the collection exists, so no restart can leave one without its mode to restore.
        journal.snapshots.save(COLLECTION_MODE_SNAPSHOT, {
          version: SNAPSHOT_VERSION,
          snapshot: { modeBefore, technician: who },
        });
        let record: CollectionRecord;
        try {
          record = journal.collections.start({
            device: this.#o.device,
            technician: who,
            denominations: this.#o.denominations,
          });
        } catch (error) {
          journal.snapshots.delete(COLLECTION_MODE_SNAPSHOT);
          throw error;
        }
        this.#releaseSlot = release;
        this.#log.info(
          { collectionId: record.collectionId, technician: who, modeBefore },
          'cash collection started',
        );
        await modes.requestMode('outOfService', who);
        return record;
      } catch (error) {
        if (this.#releaseSlot !== release) release();
        throw error;
      }
    });
  }

  enterCounts(
    collectionId: string,
    counts: ReadonlyArray<{ denomination: number; count: number }>,
    technician: string,
  ): CollectionRecord {
    const record = this.#o.journal.collections.enterCounts({
      collectionId,
      counts,
      technician: technicianOf(technician),
    });
    this.#log.info(
      { collectionId, differenceValue: record.differenceValue, discrepancy: record.discrepancy },
      'cash collection counted',
    );
    return record;
  }

  /**
   * Prints the slip of a counted (or ended) collection. Audited with who asked (by default who
   * counted) and the printer's verdict.
   */
  async printReceipt(collectionId: string, technician?: string): Promise<CollectionReceiptOutcome> {
    const { journal, receipt } = this.#o;
    const collection = journal.collections.get(collectionId);
    if (collection.state === 'started') {
      throw new KioskError(
        ErrorCode.JournalConflict,
        `collection ${collection.collectionId} has no counts yet; enter them before printing the slip`,
        { details: { collectionId: collection.collectionId, state: collection.state } },
      );
    }
    const who =
      technician === undefined ? (collection.countedBy ?? collection.startedBy) : technicianOf(technician);
    const printer = this.#o.printer();
    let outcome: CollectionReceiptOutcome;
    if (printer === undefined) {
      outcome = { printed: false, reason: 'noPrinter', linesPrinted: 0, cut: false };
    } else {
      try {
        await printer.print(
          collectionReceipt({
            collection,
            ...receipt,
            printedAt: this.#clock().toISOString(),
            language: 'zh-CN',
          }),
        );
        outcome = { printed: true };
      } catch (error) {
        outcome = { printed: false, ...printFailureOf(error) };
        this.#log.warn({ err: error, collectionId, outcome }, 'collection slip not printed');
      }
    }
    journal.audit.append(who, 'collection.receipt', { collectionId: collection.collectionId, ...outcome });
    return outcome;
  }

  /** Ends a counted collection; resolves once the kiosk is back in the mode it had before. */
  async end(
    collectionId: string,
    technician: string,
  ): Promise<{ collection: CollectionRecord; mode: KioskMode }> {
    return this.#step(async () => {
      const who = technicianOf(technician);
      const { journal, alerts, modes } = this.#o;
      const collection = journal.collections.end({ collectionId, technician: who });
      this.#log.info(
        { collectionId, seq: collection.seq, differenceValue: collection.differenceValue },
        'cash collection ended',
      );
      if (collection.discrepancy) {
        alerts.raise({
          alertId: collection.collectionId,
          device: collection.device,
          kind: 'collectionDiscrepancy',
          action: 'maintenance',
          message: `cash collection ${collection.collectionId}: counted ${collection.countedValue} fen, the journal expected ${collection.expectedValue}`,
          details: {
            collectionId: collection.collectionId,
            seq: collection.seq,
            technician: collection.countedBy,
            expectedValue: collection.expectedValue,
            countedValue: collection.countedValue,
            difference: collection.differenceValue,
            denominations: collection.denominations.filter((d) => d.difference !== 0),
          },
        });
      }
      const modeBefore = this.#savedModeBefore()?.modeBefore ?? 'inService';
      const mode = await modes.requestMode(modeBefore, who);
      journal.snapshots.delete(COLLECTION_MODE_SNAPSHOT);
      this.#releaseSlot?.();
      this.#releaseSlot = undefined;
      return { collection, mode };
    });
  }

  async #step<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#busy) {
      throw new KioskError(ErrorCode.ApiConflict, 'another collection step is still running', {
        details: { messageCode: 'kioskMaintenance' },
      });
    }
    this.#busy = true;
    try {
      return await fn();
    } finally {
      this.#busy = false;
    }
  }

  #savedModeBefore(): { modeBefore: OperatorMode; technician: string } | null {
    const saved = this.#o.journal.snapshots.get(COLLECTION_MODE_SNAPSHOT)?.snapshot;
    if (saved === undefined) return null;
    const modeBefore = OPERATOR_MODES.includes(saved['modeBefore'] as OperatorMode)
      ? (saved['modeBefore'] as OperatorMode)
      : 'inService';
    const technician = typeof saved['technician'] === 'string' ? saved['technician'] : 'kioskd';
    return { modeBefore, technician };
  }
}

function technicianOf(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(value)) {
    throw new KioskError(
      ErrorCode.JournalBadInput,
      `technician must be an id of 1 to 64 printable ASCII characters, got ${JSON.stringify(value)}`,
      { details: { field: 'technician' } },
    );
  }
  return value;
}
