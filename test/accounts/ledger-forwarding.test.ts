import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openAccountService, startAccountServer } from '../../src/accounts/account-server.js';
import type { AccountService } from '../../src/accounts/account-service.js';
import { httpCreditSink, inProcessCreditSink } from '../../src/accounts/credit-sinks.js';
import { CreditForwarder, type CreditSink } from '../../src/fleet/credit-forwarding.js';
import { FleetLedger } from '../../src/fleet/ledger.js';
import { LedgerStore } from '../../src/fleet/ledger-store.js';
import { silentLogger } from '../../src/log.js';
import { FakeKiosk, paymentPayload, startTestBroker, waitFor } from '../fleet/fleet-test-kit.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import { DEMO_ACCOUNT, scratch, TOKEN, testConfig } from './account-test-kit.js';

/*
 * Each payment the fleet ledger stores is credited to its account once: the forwarder's cursor
 * lives in the ledger database, the service credits by paymentId, so neither a resend, nor a
 * restart of either side, nor the service being down loses or doubles a credit.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function rig() {
  const dir = scratch('forward');
  cleanups.push(dir.remove);
  const ledgerPath = join(dir.path, 'ledger.sqlite');
  const store = LedgerStore.open(ledgerPath);
  cleanups.push(() => store.close());
  const accounts = openAccountService(testConfig(dir.path), { logger: silentLogger() });
  cleanups.push(() => accounts.close());
  const storePayment = (payment: ReturnType<typeof paymentPayload>) =>
    store.storeBatch([{ payment, raw: JSON.stringify(payment) }], new Date().toISOString());
  return { dir, ledgerPath, store, accounts, storePayment };
}

function countingSink(service: AccountService): CreditSink & { calls: string[] } {
  const inner = inProcessCreditSink(service);
  const calls: string[] = [];
  return {
    name: inner.name,
    calls,
    credit: (credit) => {
      calls.push(credit.paymentId);
      return inner.credit(credit);
    },
  };
}

function forwarder(ledgerPath: string, sink: CreditSink, retryInitialMs = 500): CreditForwarder {
  const started = new CreditForwarder({ dbPath: ledgerPath, sink, retryInitialMs, logger: silentLogger() });
  cleanups.push(() => started.stop());
  return started;
}

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

describe('crediting the ledger payments', () => {
  it('a payment stored twice is credited once; payments without account or in another currency are not', async () => {
    const { ledgerPath, accounts, storePayment } = rig();
    const payment = paymentPayload('k-001', 1, { amount: 5000 });
    storePayment(payment);
    storePayment(payment);
    storePayment(paymentPayload('k-001', 2, { account: null, kind: 'orphan', txId: null }));
    storePayment(paymentPayload('k-001', 3, { currency: 'HKD' }));
    const sink = countingSink(accounts);
    const running = forwarder(ledgerPath, sink);
    await waitFor('the cursor past every row', () => running.cursor() === 3);
    expect(sink.calls).toEqual([payment.paymentId]);
    expect(accounts.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(15_000);
    expect(running.stats()).toMatchObject({ credited: 1, skipped: 2, failures: 0 });
  });

  it('after a restart it goes on from its cursor; a payment offered again is credited once', async () => {
    const { ledgerPath, accounts, storePayment, store } = rig();
    const first = paymentPayload('k-001', 1, { amount: 1000 });
    storePayment(first);
    const one = forwarder(ledgerPath, countingSink(accounts));
    await waitFor('the first credit', () => one.cursor() === 1);
    await one.stop();

    const second = paymentPayload('k-001', 2, { amount: 2000 });
    storePayment(second);
    const sink = countingSink(accounts);
    const two = forwarder(ledgerPath, sink);
    await waitFor('the second credit', () => two.cursor() === 2);
    expect(sink.calls).toEqual([second.paymentId]);
    await two.stop();

    // A crash between the credit and the cursor write: the payment is offered again.
    const side = new Database(ledgerPath);
    side.prepare('UPDATE ledger_credit_cursor SET through_rowid = 0').run();
    side.close();
    const again = countingSink(accounts);
    const three = forwarder(ledgerPath, again);
    await waitFor('the replay', () => three.cursor() === 2);
    expect(again.calls).toEqual([first.paymentId, second.paymentId]);
    expect(three.stats()).toMatchObject({ credited: 0, alreadyCredited: 2 });
    expect(accounts.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(13_000);
    expect(store.totals().payments).toBe(2);
  });

  it('with the service down the payment waits; once it is up the payment is credited', async () => {
    const { dir, ledgerPath, storePayment } = rig();
    const port = await freePort();
    const sink = httpCreditSink({ url: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 1000 });
    const payment = paymentPayload('k-001', 1, { amount: 5000 });
    storePayment(payment);
    const running = forwarder(ledgerPath, sink, 50);
    await waitFor('a failed hand-over', () => running.stats().failures >= 2);
    expect(running.cursor()).toBe(0);

    const service = await startAccountServer(testConfig(join(dir.path, 'svc')), {
      listen: { host: '127.0.0.1', port },
      logger: silentLogger(),
    });
    cleanups.push(() => service.stop());
    await waitFor('the credit', () => running.cursor() === 1, 10_000);
    expect(running.stats().credited).toBe(1);
    expect(service.service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(15_000);
    expect(service.service.store.creditOf(payment.paymentId)).toMatchObject({ amountFen: 5000 });
  });

  it('an unknown account is passed over, not retried for ever', async () => {
    const { ledgerPath, accounts, storePayment } = rig();
    storePayment(paymentPayload('k-001', 1, { account: '13900000000' }));
    const known = paymentPayload('k-001', 2, { amount: 700 });
    storePayment(known);
    const running = forwarder(ledgerPath, inProcessCreditSink(accounts));
    await waitFor('both rows handled', () => running.cursor() === 2);
    expect(running.stats()).toMatchObject({ refused: 1, credited: 1 });
    expect(accounts.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(10_700);
  });

  it('the fleet ledger credits a payment its kiosk sent twice once, right after storing it', async () => {
    const dir = scratch('ledger');
    cleanups.push(dir.remove);
    const accounts = openAccountService(testConfig(dir.path), { logger: silentLogger() });
    cleanups.push(() => accounts.close());
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const ledger = FleetLedger.start({
      broker: { url: broker.url, protocolVersion: 4, ...broker.fleetCredentials },
      dbPath: join(dir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      creditSink: inProcessCreditSink(accounts),
      logger: silentLogger(),
    });
    cleanups.push(() => ledger.stop());
    await ledger.whenSubscribed();
    const kiosk = await FakeKiosk.connect(broker.url, 'k-001');
    cleanups.push(() => kiosk.close());
    const payment = paymentPayload('k-001', 1, { amount: 5000 });
    await kiosk.publish(payment);
    await waitFor('the ack', () => kiosk.acks.length === 1);
    await waitFor('the credit', () => accounts.store.get(DEMO_ACCOUNT)?.balanceFen === 15_000);
    await kiosk.publish(payment);
    await waitFor('the second ack', () => kiosk.acks.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(accounts.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(15_000);
    expect(accounts.store.counts().credits).toBe(1);
  });
});
