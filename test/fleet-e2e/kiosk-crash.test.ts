import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import {
  type E2eRig,
  expectLedgerHoldsJournal,
  type KioskChild,
  linkConfigFor,
  spawnKiosk,
  startLedger,
  startRig,
} from './fleet-e2e-rig.js';

// The kiosk's own process dies (SIGKILL: no shutdown code runs) while it is taking payments
// and sending them, twice, and comes back on the same journal: the ledger still ends with
// every payment once, seq 1..n without a hole.
const PAYMENTS = 1_000;
const KIOSK = 'K-CRASH';

let rig: E2eRig;
const children: KioskChild[] = [];

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  for (const child of children) await child.kill();
  await rig?.dispose();
});

describe('kiosk process SIGKILLed mid-flight', () => {
  it('loses and duplicates nothing across two kills and restarts', { timeout: 90_000 }, async () => {
    const ledger = startLedger(rig, join(rig.subdir('ledger'), 'ledger.sqlite'));
    try {
      await ledger.whenSubscribed();
      const dataDir = rig.subdir(KIOSK);
      const journalPath = join(dataDir, 'journal.sqlite');
      const spec = { journalPath, link: linkConfigFor(rig, KIOSK, dataDir), paymentsUpTo: PAYMENTS };
      const epochs: number[] = [];
      const stored = () => ledger.store.totals().payments;

      for (const killAt of [300, 650]) {
        const kiosk = spawnKiosk(spec);
        children.push(kiosk);
        const connected = await kiosk.waitForEvent((e) => e.event === 'connected', 20_000);
        epochs.push(connected['epoch'] as number);
        await kiosk.waitForEvent((e) => e.event === 'made' && (e['lastSeq'] as number) >= killAt, 30_000);
        const storedAtKill = stored();
        await kiosk.kill();
        // Killed while still taking payments, with some of them not yet in the ledger.
        expect(kiosk.events.some((e) => e.event === 'allMade')).toBe(false);
        expect(storedAtKill).toBeLessThan(killAt);
      }
      const last = spawnKiosk(spec);
      children.push(last);
      epochs.push((await last.waitForEvent((e) => e.event === 'connected', 20_000))['epoch'] as number);
      await last.waitForEvent((e) => e.event === 'outbox' && e['pending'] === 0, 40_000);
      expect(await last.terminate()).toBe(0);

      // Each start is a new connection epoch, persisted across the kills.
      expect(epochs[1]).toBeGreaterThan(epochs[0]!);
      expect(epochs[2]).toBeGreaterThan(epochs[1]!);
      const journal = Journal.open({ path: journalPath, kioskId: KIOSK, logger: silentLogger() });
      try {
        expectLedgerHoldsJournal(ledger, journal, PAYMENTS);
      } finally {
        journal.close();
      }
      expect(ledger.stats().seqConflicts).toBe(0);
    } finally {
      await ledger.stop();
    }
  });
});
