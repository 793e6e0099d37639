import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message } from '../../src/i18n/messages.js';
import { type Json, type KioskRig, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

/**
 * A top-up end to end with a printer: the kiosk API, the acceptor simulator and the ESC/POS
 * printer simulator, through the real drivers. What is asserted is what the customer holds:
 * the simulator decodes its wire bytes onto virtual paper.
 */
describe('kiosk API: a top-up prints its receipt', () => {
  let rig: KioskRig;
  let printerControl: string;

  beforeAll(async () => {
    rig = await startKioskRig({
      limits: { maxPerTransaction: 50_000, maxPerAccountPerDay: 200_000, maxNotesPerTransaction: 5 },
      devices: {
        cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 },
        printer: { enabled: true, port: 'sim:escpos', columns: 42, statusPollIntervalMs: 200 },
      },
      simulators: {
        controlPort: 0,
        options: { id003: { timingPreset: 'fast' }, escpos: { timingPreset: 'fast', columns: 42 } },
      },
    });
    printerControl = `${rig.daemon.simulatorControlUrl}/devices/escpos/control`;
    await waitUntil(
      () => (rig.daemon.devices.get('printer')?.status.state === 'online' ? true : undefined),
      'printer online',
    );
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function printer(action: string, extra: Record<string, unknown> = {}): Promise<Json> {
    const response = await fetch(printerControl, {
      method: 'POST',
      body: JSON.stringify({ action, ...extra }),
    });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body.result;
  }

  async function topUp(account: string, notes: number[]): Promise<Json> {
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    expect((await rig.request('PUT', '/topups/current/account', { body: { account } })).status).toBe(200);
    const cashIn = await rig.waitForTopUp(
      (v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0,
    );
    expect(cashIn.receiptAvailable).toBe(true);
    let total = 0;
    for (const note of notes) {
      total += note;
      await rig.creditNote(note, total);
    }
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    return rig.waitForTopUp((v) => v.state === 'done', 15_000);
  }

  it('prints the masked account, each note, the total in Chinese and a QR of the payment id, then cuts', async () => {
    const before = (await printer('paper.receipts')).total as number;
    const done = await topUp('13800138000', [10_000, 5_000]);
    expect(done).toMatchObject({ kind: 'complete', receipt: true });

    const { receipts, total } = await printer('paper.receipts', { last: 1 });
    expect(total).toBe(before + 1);
    const [paper] = receipts;
    expect(paper.cut).toBe(true);
    const text = paper.lines.join('\n');
    expect(text).toContain('138****8000');
    expect(text).not.toContain('13800138000');
    expect(text).toMatch(/合计\s+￥150\.00/);
    expect(text).toMatch(/￥100 × 1\s+￥100\.00/);
    expect(text).toMatch(/￥50 × 1\s+￥50\.00/);
    expect(text).toContain('api-test-1');
    expect(text).toContain('充值成功');
    expect(text).toContain(done.paymentId);
    expect(paper.qr).toEqual([done.paymentId]);

    const payment = rig.daemon.journal.payments.get(done.paymentId);
    expect(payment.receipt).toBe(true);
    expect(rig.daemon.journal.receipts.get(done.paymentId)).toMatchObject({ state: 'printed', prints: 1 });
  });

  it('completes the payment when the paper runs out mid-receipt, says so, and reprints once paper is loaded', async () => {
    await printer('paper.outAfter', { lines: 3 });
    const done = await topUp('13900139000', [2_000]);
    expect(done).toMatchObject({ kind: 'complete', receipt: false });
    expect(done.message.code).toBe('receiptUnavailable');
    const record = rig.daemon.journal.receipts.get(done.paymentId);
    expect(record).toMatchObject({ state: 'failed', reason: 'paperOut', cut: false });
    // ESC/POS confirms no line: the driver counts what the printer took before it stopped, so
    // at least the 3 lines on paper, and not the whole receipt.
    expect(record?.linesPrinted).toBeGreaterThanOrEqual(3);
    expect(record?.linesPrinted).toBeLessThan(20);
    // The money is untouched by the printer: the payment is committed and in the outbox.
    expect(rig.daemon.journal.payments.get(done.paymentId)).toMatchObject({
      amount: 2_000,
      kind: 'complete',
    });

    const refused = await rig.request('POST', `/topups/${done.txId}/receipt`, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(message('receiptUnavailable', 'zh-CN'));

    await printer('paper.load');
    await waitUntil(
      () => (rig.daemon.devices.get('printer')?.status.state === 'online' ? true : undefined),
      'printer back online',
    );
    const reprinted = await rig.request('POST', `/topups/${done.txId}/receipt`, { body: {} });
    expect(reprinted.status, JSON.stringify(reprinted.body)).toBe(200);
    expect(reprinted.body).toMatchObject({ receipt: true, paymentId: done.paymentId });
    const { receipts } = await printer('paper.receipts', { last: 1 });
    expect(receipts[0].cut).toBe(true);
    expect(receipts[0].lines.join('\n')).toContain('重印 REPRINT');
    expect(receipts[0].qr).toEqual([done.paymentId]);

    // One reprint is the customer's; a third print would empty the roll for nobody.
    const again = await rig.request('POST', `/topups/${done.txId}/receipt`, { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(message('reprintLimit', 'zh-CN'));
  });
});
