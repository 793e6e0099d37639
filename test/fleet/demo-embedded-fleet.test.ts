import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { FleetView } from '../../src/fleet/fleet-view.js';
import { LedgerStore } from '../../src/fleet/ledger-store.js';
import { EMBEDDED_LEDGER_FILE } from '../../src/fleet-broker/embedded-fleet.js';
import { silentLogger } from '../../src/log.js';
import { scratchDir, waitFor } from './fleet-test-kit.js';

/*
 * What `kioskd demo` runs: fleet.broker.url "embedded" starts the broker and the ledger inside
 * the daemon, the fleet link connects to them, and a committed payment ends up in the ledger
 * and delivered in the kiosk's outbox, with nothing outside the process.
 */

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('daemon with the embedded fleet', () => {
  it('drains the outbox into the in-process ledger and stops broker and ledger after the link', async () => {
    const dir = scratchDir('demo-fleet');
    const config = parseConfig(
      {
        kioskId: 'demo-0001',
        dataDir: dir.path,
        devices: { cashAcceptor: { port: 'sim:id003' } },
        simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
        api: { port: 0 },
        fleet: {
          enabled: true,
          broker: { url: 'embedded', protocolVersion: 4 },
          embeddedBroker: { host: '127.0.0.1', port: 0 },
        },
      },
      'test',
    );
    const daemon = await startDaemon({ config, configPath: 'test', logger: silentLogger() });
    const fleet = daemon.embeddedFleet;
    try {
      expect(fleet).toBeDefined();
      const view = await FleetView.connect({
        broker: { url: fleet!.brokerUrl, protocolVersion: 4, ...fleet!.broker.fleetCredentials },
        logger: silentLogger(),
      });
      await waitFor(
        'the kiosk online in the view',
        () => view.snapshot().kiosks[0]?.state === 'online',
        10_000,
      );
      await view.close();

      const { journal } = daemon;
      const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
      const noteId = journal.notes.recordEscrowIntent({
        txId: tx.txId,
        device: 'cashAcceptor',
        escrowCode: '0x63',
        denomination: 1000,
      });
      journal.notes.commitCredit({ noteId });
      const committed = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
      if (committed.outcome !== 'committed') throw new Error(`payment not committed: ${committed.outcome}`);
      await waitFor(
        'the payment in the ledger',
        () => fleet!.ledger.payments('demo-0001').length === 1,
        10_000,
      );
      expect(fleet!.ledger.payments('demo-0001')[0]).toMatchObject({
        paymentId: committed.payment.paymentId,
        amount: 1000,
      });
      await waitFor('the outbox delivered', () => journal.outbox.stats().pending === 0, 10_000);
    } finally {
      await daemon.stop();
    }
    expect(await portIsFree(fleet!.broker.port)).toBe(true);
    const store = LedgerStore.open(join(dir.path, EMBEDDED_LEDGER_FILE));
    expect(store.totals()).toEqual({ payments: 1, kiosks: 1 });
    store.close();
    dir.remove();
  });
});
