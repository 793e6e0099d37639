import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../src/fleet/ledger-store.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
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

describe('kioskd fleet ledger', () => {
  it('stores and acknowledges until SIGTERM, then exits 0 with its stats logged', async () => {
    const db = join(dir.path, 'ledger.sqlite');
    const child = spawnKioskd([
      'fleet',
      'ledger',
      '--config',
      fleetToolsConfig(broker, dir.path),
      '--db',
      db,
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
    ]);
    const output = collectOutput(child);
    expect((await exitOf(child)).code).toBe(1);
    expect(output.stderr).toContain('the broker refused MQTT 5');
  });
});
