import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAccountServer } from '../../src/accounts/account-server.js';
import { silentLogger } from '../../src/log.js';
import {
  FakeKiosk,
  fleetToolsConfig,
  paymentPayload,
  startTestBroker,
  waitFor,
} from '../fleet/fleet-test-kit.js';
import { collectOutput, exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';
import { DEMO_ACCOUNT, scratch, TOKEN, testConfig } from './account-test-kit.js';

/* `kioskd fleet ledger` with ledger.accountService in its config credits over HTTP. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('kioskd fleet ledger with an account service', () => {
  it('credits each stored payment to the separate service once', async () => {
    const dir = scratch('ledger-credits');
    cleanups.push(dir.remove);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const accounts = await startAccountServer(testConfig(dir.path), { logger: silentLogger() });
    cleanups.push(() => accounts.stop());
    const keyPath = join(dir.path, 'ledger-ed25519.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const config = fleetToolsConfig(
      broker,
      dir.path,
      `ledger:\n  accountService:\n    url: ${accounts.url}\n    token: ${TOKEN}\n`,
    );
    const child = spawnKioskd([
      'fleet',
      'ledger',
      '--config',
      config,
      '--db',
      join(dir.path, 'ledger.sqlite'),
      '--key',
      keyPath,
    ]);
    const output = collectOutput(child);
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitForJsonLine(
      child,
      (line) => String(line['msg']).startsWith('the broker does not honour'),
      15_000,
    );
    const kiosk = await FakeKiosk.connect(broker.url, 'k-7');
    cleanups.push(() => kiosk.close());
    const payment = paymentPayload('k-7', 1, { amount: 2000 });
    await kiosk.publish(payment);
    await kiosk.publish(payment);
    await waitFor('the payment acknowledged', () => kiosk.ackedIds().length === 1);
    await waitFor(
      'the credit',
      () => accounts.service.store.creditOf(payment.paymentId) !== undefined,
      10_000,
    );
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    expect(accounts.service.store.get(DEMO_ACCOUNT)?.balanceFen).toBe(12_000);
    expect(accounts.service.store.counts().credits).toBe(1);
    expect(output.stdout).not.toContain(TOKEN);
  }, 40_000);
});
