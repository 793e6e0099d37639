import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../src/fleet/ledger-store.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { paymentAckSchema, verifyPaymentAckSignature } from '../../src/fleet-protocol/index.js';
import { collectOutput, exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';
import {
  FakeKiosk,
  fleetToolsConfig,
  paymentPayload,
  scratchDir,
  startTestBroker,
  waitFor,
} from './fleet-test-kit.js';

/* `kioskd fleet ledger` as an operator runs it: a process that stores until SIGTERM. */

let broker: EmbeddedBroker;
let dir: ReturnType<typeof scratchDir>;
beforeEach(async () => {
  broker = await startTestBroker();
  dir = scratchDir('fleet-ledger-cli');
});
afterEach(async () => {
  await broker.close();
  dir.remove();
});

/** `kioskd fleet keygen --for ledger` into the scratch dir: the private key's path and the public key. */
async function ledgerKey(): Promise<{ path: string; publicKeyPem: string }> {
  const keygen = spawnKioskd(['fleet', 'keygen', '--for', 'ledger', '--out', join(dir.path, 'keys')]);
  const output = collectOutput(keygen);
  expect((await exitOf(keygen)).code).toBe(0);
  expect(output.stderr).toContain('  ledger:\n    publicKeys:\n      - id: ledger-1');
  const path = join(dir.path, 'keys', 'ledger-ed25519.pem');
  expect(readFileSync(join(dir.path, 'keys', 'ledger-ed25519.pub.pem'), 'utf8').trim()).toBe(
    output.stdout.trim(),
  );
  return { path, publicKeyPem: output.stdout };
}

describe('kioskd fleet ledger', () => {
  it('stores and acknowledges, every ack signed with its key, until SIGTERM, then exits 0 with its stats logged', async () => {
    const db = join(dir.path, 'ledger.sqlite');
    const key = await ledgerKey();
    const child = spawnKioskd([
      'fleet',
      'ledger',
      '--config',
      fleetToolsConfig(broker, dir.path),
      '--db',
      db,
      '--key',
      key.path,
    ]);
    const output = collectOutput(child);
    await waitForJsonLine(
      child,
      (line) => String(line['msg']).startsWith('the broker does not honour'),
      15_000,
    );

    const kiosk = await FakeKiosk.connect(broker.url, 'k-42');
    const payments = [1, 2].map((seq) => paymentPayload('k-42', seq));
    for (const p of payments) await kiosk.publish(p);
    await waitFor('two acks', () => kiosk.ackedIds().length === 2);
    await kiosk.close();
    const trusted = [{ id: 'ledger-1', key: createPublicKey(key.publicKeyPem) }];
    for (const ack of kiosk.acks)
      expect(verifyPaymentAckSignature(paymentAckSchema.parse(ack), trusted)).toBe('ledger-1');

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    const stopped = output.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; stats?: Record<string, number> })
      .find((l) => l.msg === 'fleet ledger stopped');
    expect(stopped?.stats).toMatchObject({ stored: 2, acked: 2, invalid: 0 });
    const store = LedgerStore.open(db);
    expect(store.payments('k-42').map((p) => p.paymentId)).toEqual(payments.map((p) => p.paymentId));
    store.close();
  });

  it('exits 1 with the reason when the broker refuses it for good', async () => {
    const child = spawnKioskd([
      'fleet',
      'ledger',
      '--config',
      fleetToolsConfig(broker, dir.path),
      '--protocol',
      '5',
      '--db',
      join(dir.path, 'l.sqlite'),
      '--key',
      (await ledgerKey()).path,
    ]);
    const output = collectOutput(child);
    expect((await exitOf(child)).code).toBe(1);
    expect(output.stderr).toContain('the broker refused MQTT 5');
  });

  it('refuses to start without a signing key (exit 2), since no kiosk would take its acks', async () => {
    const child = spawnKioskd([
      'fleet',
      'ledger',
      '--broker',
      broker.url,
      '--db',
      join(dir.path, 'l.sqlite'),
    ]);
    const output = collectOutput(child);
    expect((await exitOf(child)).code).toBe(2);
    expect(output.stderr).toContain('fleet ledger: missing --key FILE (or ledger.privateKey in the config)');
  });
});
