import { request } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log.js';
import { httpAccountChecker } from '../../src/topup/account-check.js';
import { scratchDir, waitFor } from '../fleet/fleet-test-kit.js';
import { DEMO_ACCOUNT, DEMO_PASSWORD, hex, pinBlockFor, tdesPad } from './account-test-kit.js';

/*
 * `kioskd demo`: the account service runs embedded beside the ledger with seeds/accounts.yaml,
 * listening where the kiosk's account check points, and a payment the kiosk commits is in the
 * balance a query answers as soon as the ledger has stored it.
 */

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function post(url: string, body: unknown, token: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        let answer = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          answer += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(answer) }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function demoConfig(dir: string, port: number) {
  return parseConfig(
    {
      kioskId: 'demo-0001',
      dataDir: dir,
      devices: { cashAcceptor: { port: 'sim:id003' } },
      simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
      api: { port: 0 },
      transaction: {
        accountCheck: { enabled: true, url: `http://127.0.0.1:${port}/v1/account-check` },
      },
      fleet: {
        enabled: true,
        broker: { url: 'embedded', protocolVersion: 4 },
        embeddedBroker: { host: '127.0.0.1', port: 0 },
      },
    },
    'test',
  );
}

describe('daemon with the embedded account service', () => {
  it('refuses to start in one line naming the account check URL when its port is taken', async () => {
    const dir = scratchDir('demo-accounts-busy');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        startDaemon({ config: demoConfig(dir.path, port), configPath: 'test', logger: silentLogger() }),
      ).rejects.toThrow(`transaction.accountCheck.url: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      dir.remove();
    }
  }, 30_000);

  it('answers the account check and credits a committed payment to the balance', async () => {
    const dir = scratchDir('demo-accounts');
    const port = await freePort();
    const config = demoConfig(dir.path, port);
    const daemon = await startDaemon({ config, configPath: 'test', logger: silentLogger() });
    try {
      const accounts = daemon.embeddedFleet!.accounts;
      expect(accounts.url).toBe(`http://127.0.0.1:${port}`);
      const before = accounts.service.store.get(DEMO_ACCOUNT)!.balanceFen;
      const { journal } = daemon;
      const tx = journal.transactions.open({ account: DEMO_ACCOUNT, limits: { maxAmount: 100_000 } });
      const noteId = journal.notes.recordEscrowIntent({
        txId: tx.txId,
        device: 'cashAcceptor',
        escrowCode: '0x63',
        denomination: 5000,
      });
      journal.notes.commitCredit({ noteId });
      const committed = journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
      if (committed.outcome !== 'committed') throw new Error(`payment not committed: ${committed.outcome}`);
      await waitFor(
        'the credit',
        () => accounts.service.store.creditOf(committed.payment.paymentId) !== undefined,
        10_000,
      );
      const block = pinBlockFor(tdesPad(), DEMO_PASSWORD);
      const answer = await post(
        `${accounts.url}/v1/balance-queries`,
        { account: DEMO_ACCOUNT, format: 'iso0', pinBlock: hex(block.pinBlock), ksn: hex(block.ksn) },
        'demo-accounts-token-0001',
      );
      expect(answer).toEqual({ status: 200, body: { result: 'balance', balanceFen: before + 5000 } });
      // The daemon's own account check (no token) reaches it and sees today's credit.
      const checker = httpAccountChecker(config.transaction.accountCheck);
      expect(await checker(DEMO_ACCOUNT)).toEqual({ ok: true, dailyTotalSoFar: 5000 });
      expect(await checker('13900000000')).toEqual({ ok: false });
    } finally {
      await daemon.stop();
      dir.remove();
    }
  }, 30_000);
});
