import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { startKioskRig } from './kiosk-daemon-rig.js';

/**
 * The daemon stops while a customer is inserting cash: the API closes first, the stop stays
 * inside its 2 s budget, the journal keeps the credited note and the machine's snapshot, and
 * the next start completes the top-up as a partial payment — never dropped, never twice.
 */
describe('daemon stop in the middle of a top-up', () => {
  it('keeps the top-up for recovery and the next start pays it out as partial', {
    timeout: 30_000,
  }, async () => {
    const first = await startKioskRig();
    const dir = first.dir;
    try {
      expect((await first.request('POST', '/topups', { body: {} })).status).toBe(201);
      expect(
        (await first.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
      ).toBe(200);
      await first.waitForTopUp((v) => v.acceptedDenominations.includes(2000));
      const credited = await first.creditNote(2000, 2000);

      const stoppingAt = Date.now();
      await first.stop({ removeData: false });
      expect(Date.now() - stoppingAt).toBeLessThan(2_000);
      await expect(fetch(`${first.api}/state`)).rejects.toThrow();

      const journal = Journal.open({
        path: join(dir, 'var', 'journal.sqlite'),
        kioskId: 'api-test-1',
        logger: silentLogger(),
      });
      try {
        expect(journal.transactions.get(credited.txId).state).toBe('open');
        const persisted = journal.snapshots.get('topUp');
        expect(persisted?.version).toBe(1);
        expect(persisted?.snapshot['context']).toMatchObject({ txId: credited.txId });
      } finally {
        journal.close();
      }

      const second = await startKioskRig({}, dir);
      try {
        const payment = second.daemon.journal.payments.ofTransaction(credited.txId);
        expect(payment).toMatchObject({ amount: 2000, kind: 'partial', account: '13800138000' });
        expect(second.daemon.journal.snapshots.get('topUp')).toBeNull();
        expect(second.daemon.journal.checkConservation()).toEqual([]);
        expect((await second.request('GET', `/topups/${credited.txId}`)).body).toMatchObject({
          state: 'done',
          kind: 'partial',
          paymentId: payment?.paymentId,
        });
        // The kiosk takes the next customer.
        expect((await second.request('POST', '/topups', { body: {} })).status).toBe(201);
        expect((await second.request('POST', '/topups/current/cancel', { body: {} })).status).toBe(200);
      } finally {
        await second.stop({ removeData: false });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
