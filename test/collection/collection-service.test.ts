import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { encodeDocument } from '../../devices/printer/escpos/codec/document-encoder.js';
import { decodePrintStream } from '../../devices/printer/escpos/codec/print-stream-decoder.js';
import { PrintFailedError } from '../../devices/printer/print-failed-error.js';
import type { PrinterDocument } from '../../devices/printer/printer-document.js';
import { CollectionService } from '../../src/collection/collection-service.js';
import { KioskModeStore } from '../../src/daemon/kiosk-mode-store.js';
import type { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import type { ReceiptOutput } from '../../src/receipts/receipt-printing.js';
import { AlertList } from '../../src/recovery/recovery-alerts.js';
import { CustomerSlot } from '../../src/topup/customer-slot.js';
import { creditNotes, openJournal, tempJournal } from '../journal/temp-journal.js';
import { config as receiptsConfig } from '../receipts/receipt-fixtures.js';

const TAKES = [1_000, 2_000, 5_000, 10_000];
const COLUMNS = 48;

/**
 * The printer boundary: the document goes through the real ESC/POS encoder and the print-stream
 * decoder, so what the test reads is what paper would show; `failWith` makes the next job fail
 * as the driver reports a fault.
 */
class PaperPrinter implements ReceiptOutput {
  readonly status = { state: 'online' as const, paper: 'ok' as const };
  readonly printed: string[][] = [];
  failWith: PrintFailedError | undefined;

  async print(document: PrinterDocument): Promise<void> {
    if (this.failWith) throw this.failWith;
    const bytes = encodeDocument(document, { columns: COLUMNS, unprintable: 'refuse' });
    this.printed.push(
      decodePrintStream(bytes, { columns: COLUMNS }).flatMap((item) =>
        item.kind === 'line' ? [item.text.trim()] : [],
      ),
    );
  }
}

function rig(journal: Journal) {
  const customers = new CustomerSlot();
  const modes = new KioskModeStore({ journal, logger: silentLogger() });
  const alerts = new AlertList();
  const printer = new PaperPrinter();
  const service = new CollectionService({
    journal,
    device: 'acceptor',
    denominations: TAKES,
    customers,
    modes,
    alerts,
    printer: () => printer,
    receipt: { kioskId: 'K-0001', config: receiptsConfig, columns: COLUMNS, minorUnitsPerMajor: 100 },
    logger: silentLogger(),
    clock: () => new Date('2026-12-05T02:00:00.000Z'),
  });
  return { customers, modes, alerts, printer, service };
}

function topUp(journal: Journal, notes: number[]): void {
  journal.payments.commit({
    txId: creditNotes(journal, '13700000000', notes),
    kind: 'complete',
    receipt: false,
  });
}

describe('CollectionService', () => {
  it('runs a collection: out of service, counts, zh-CN slip, end restores the mode, alert on discrepancy', async () => {
    const { journal } = tempJournal();
    topUp(journal, [10_000, 5_000]);
    const { customers, modes, alerts, printer, service } = rig(journal);

    const started = await service.start('T-07');
    expect(modes.mode).toBe('outOfService');
    expect(customers.holder).toBe('cashCollection');
    expect(() => customers.claim('topUp')).toThrow(expect.objectContaining({ code: ErrorCode.ApiConflict }));
    expect(service.current()?.collectionId).toBe(started.collectionId);

    await expect(service.printReceipt(started.collectionId)).rejects.toMatchObject({
      code: ErrorCode.JournalConflict,
    });
    const counted = service.enterCounts(
      started.collectionId,
      [
        { denomination: 10_000, count: 1 },
        { denomination: 2_000, count: 1 },
      ],
      'T-07',
    );
    expect(counted.differenceValue).toBe(-3_000);

    expect(await service.printReceipt(started.collectionId)).toEqual({ printed: true });
    const slip = printer.printed[0]!.join('\n');
    expect(slip).toContain('现金清机凭条');
    expect(slip).toContain(started.collectionId);
    expect(slip).toContain('T-07');
    expect(slip).toMatch(/开始时间\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(slip).toMatch(/结束时间\s+未结束/);
    expect(slip).toMatch(/打印时间\s+2026-12-05 10:00:00/); // 02:00 UTC in Shanghai
    expect(slip).toMatch(/钱箱\s+acceptor/);
    expect(slip).toMatch(/50\S*\s+1\/0\/-1/);
    expect(slip).toMatch(/20\S*\s+0\/1\/\+1/);
    expect(slip).toMatch(/差额\s+-\S*30\.00/);
    expect(slip).toContain('账实不符');

    const ended = await service.end(started.collectionId, 'T-07');
    expect(ended.mode).toBe('inService');
    expect(modes.mode).toBe('inService');
    expect(customers.holder).toBeNull();
    expect(service.current()).toBeNull();
    expect(journal.cashbox.counters('acceptor').totalCount).toBe(0);
    expect(alerts.recent()).toEqual([
      expect.objectContaining({
        alertId: started.collectionId,
        kind: 'collectionDiscrepancy',
        device: 'acceptor',
        details: expect.objectContaining({ difference: -3_000, seq: 2 }),
      }),
    ]);
    const audit = journal.audit.tail(30).map((e) => [e.actor, e.action]);
    expect(audit).toEqual(
      expect.arrayContaining([
        ['T-07', 'collection.started'],
        ['T-07', 'kiosk.mode'],
        ['T-07', 'collection.counted'],
        ['T-07', 'collection.receipt'],
        ['T-07', 'collection.ended'],
      ]),
    );
    expect(service.recent(5).map((c) => c.collectionId)).toEqual([started.collectionId]);
  });

  it('a kiosk out of service before the collection stays out of service after it; an exact count raises no alert', async () => {
    const { journal } = tempJournal();
    topUp(journal, [1_000]);
    const { modes, alerts, service } = rig(journal);
    await modes.requestMode('outOfService', 'fleet');
    const c = await service.start('T-01');
    service.enterCounts(c.collectionId, [{ denomination: 1_000, count: 1 }], 'T-01');
    expect((await service.end(c.collectionId, 'T-01')).mode).toBe('outOfService');
    expect(alerts.recent()).toEqual([]);
    expect(journal.cashbox.counters('acceptor').accuracy).toBe('accurate');
  });

  it('refuses start while a customer is served, and bad technician ids, changing nothing', async () => {
    const { journal } = tempJournal();
    const { customers, modes, service } = rig(journal);
    const release = customers.claim('topUp');
    await expect(service.start('T-01')).rejects.toMatchObject({
      code: ErrorCode.ApiConflict,
      message: 'a top-up is already active',
    });
    release();
    await expect(service.start('')).rejects.toMatchObject({
      code: ErrorCode.JournalBadInput,
      message: expect.stringContaining('technician'),
    });
    await expect(service.start('T 01\n')).rejects.toMatchObject({ code: ErrorCode.JournalBadInput });
    // A transaction the journal still holds open (a top-up being recovered) refuses it too.
    journal.transactions.open({ account: '13700000000', limits: { maxAmount: 1_000 } });
    await expect(service.start('T-01')).rejects.toMatchObject({ code: ErrorCode.ApiConflict });
    expect(journal.collections.open()).toBeNull();
    expect(customers.holder).toBeNull();
    expect(modes.mode).toBe('inService');
    expect(journal.snapshots.get('cashCollection')).toBeNull();
  });

  it('a printer fault is reported and does not block the end', async () => {
    const { journal } = tempJournal();
    topUp(journal, [2_000]);
    const { printer, service } = rig(journal);
    const c = await service.start('T-01');
    service.enterCounts(c.collectionId, [{ denomination: 2_000, count: 1 }], 'T-01');
    printer.failWith = new PrintFailedError('printer', { reason: 'paperOut', linesPrinted: 3, cut: false });
    expect(await service.printReceipt(c.collectionId)).toEqual({
      printed: false,
      reason: 'paperOut',
      linesPrinted: 3,
      cut: false,
    });
    const ended = await service.end(c.collectionId, 'T-01');
    expect(ended.collection.state).toBe('ended');
    expect(journal.audit.tail(10).find((e) => e.action === 'collection.receipt')?.details).toMatchObject({
      printed: false,
      reason: 'paperOut',
    });
  });

  it('a restart mid-collection resumes it: still out of service, slot held, then ends restoring the mode', async () => {
    const { journal, path } = tempJournal();
    topUp(journal, [5_000]);
    const first = rig(journal);
    const c = await first.service.start('T-01');
    first.service.enterCounts(c.collectionId, [{ denomination: 5_000, count: 1 }], 'T-01');
    first.modes.close();
    journal.close();

    const reopened = openJournal(path);
    const second = rig(reopened);
    expect(second.modes.mode).toBe('outOfService'); // the mode store's durable choice
    const resumed = await second.service.resume();
    expect(resumed?.collectionId).toBe(c.collectionId);
    expect(second.service.current()?.state).toBe('counted');
    expect(second.customers.holder).toBe('cashCollection');
    const ended = await second.service.end(c.collectionId, 'T-02');
    expect(ended.mode).toBe('inService');
    expect(second.customers.holder).toBeNull();
    expect(reopened.snapshots.get('cashCollection')).toBeNull();
  });

  it('a restart right after the end (mode not yet restored) gives the mode back', async () => {
    const { journal, path } = tempJournal();
    const first = rig(journal);
    const c = await first.service.start('T-01');
    first.service.enterCounts(c.collectionId, [], 'T-01');
    // The journal step commits, then the process dies before the mode is restored.
    journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' });
    first.modes.close();
    journal.close();

    const reopened = openJournal(path);
    const second = rig(reopened);
    expect(second.modes.mode).toBe('outOfService');
    expect(await second.service.resume()).toBeNull();
    expect(second.modes.mode).toBe('inService');
    expect(second.customers.holder).toBeNull();
    expect(reopened.snapshots.get('cashCollection')).toBeNull();
  });
});
