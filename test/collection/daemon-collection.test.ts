import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, type KioskRig, startKioskRig, waitUntil } from '../api/kiosk-daemon-rig.js';

/**
 * Cash collection in the real daemon wiring: top-ups through the kiosk API into the acceptor
 * simulator, then the technician's collection through `daemon.collections`, the slip on the
 * ESC/POS simulator's virtual paper (decoded from its wire bytes), customers refused meanwhile.
 */
describe('daemon: cash collection after top-ups', () => {
  let rig: KioskRig;
  let printerControl: string;

  beforeAll(async () => {
    rig = await startKioskRig({
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

  async function receipts(last: number): Promise<Json> {
    const response = await fetch(printerControl, {
      method: 'POST',
      body: JSON.stringify({ action: 'paper.receipts', last }),
    });
    return ((await response.json()) as Json).result;
  }

  async function topUp(notes: number[]): Promise<void> {
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } });
    await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
    let total = 0;
    for (const note of notes) {
      total += note;
      await rig.creditNote(note, total);
    }
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    await rig.waitForTopUp((v) => v.state === 'done', 15_000);
  }

  it('counts what the top-ups credited, refuses customers meanwhile, prints the slip, restarts the counters', async () => {
    await topUp([10_000, 5_000]);
    const { collections, journal } = rig.daemon;
    await waitUntil(() => (journal.summary().openTransactions === 0 ? true : undefined), 'top-up closed');

    const started = await collections.start('T-07');
    expect(started.expectedValue).toBe(15_000);
    const refused = await rig.request('POST', '/topups', { body: {} });
    expect(refused.status).toBe(409);

    collections.enterCounts(
      started.collectionId,
      [
        { denomination: 10_000, count: 1 },
        { denomination: 5_000, count: 1 },
      ],
      'T-07',
    );
    expect(await collections.printReceipt(started.collectionId)).toEqual({ printed: true });
    const { receipts: papers } = await receipts(1);
    const text = papers[0].lines.join('\n');
    expect(papers[0].cut).toBe(true);
    expect(text).toContain('现金清机凭条');
    expect(text).toContain(started.collectionId);
    expect(text).toMatch(/差额\s+￥0\.00/);
    expect(text).toContain('账实相符');

    const ended = await collections.end(started.collectionId, 'T-07');
    expect(ended.collection.discrepancy).toBe(false);
    expect(ended.mode).toBe('inService');
    expect(journal.cashbox.counters('cashAcceptor')).toMatchObject({ totalCount: 0, accuracy: 'accurate' });
    expect(journal.checkConservation()).toEqual([]);

    // Customers are served again, into the new cycle.
    await topUp([2_000]);
    expect(journal.cashbox.counters('cashAcceptor').totalValue).toBe(2_000);
  });
});
