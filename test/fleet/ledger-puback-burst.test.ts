import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { MqttClient, Packet } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FleetLedger } from '../../src/fleet/ledger.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { FakeKiosk, paymentPayload, scratchDir, startTestBroker, waitFor } from './fleet-test-kit.js';

/**
 * The ledger holds the PUBACKs of one socket read until the immediate after it, so a burst of
 * payments costs one socket write instead of one per payment. That must never lose, repeat
 * or reorder a PUBACK.
 */
let broker: EmbeddedBroker;
let dir: ReturnType<typeof scratchDir>;
let ledger: FleetLedger;
let kiosk: FakeKiosk;

beforeEach(async () => {
  broker = await startTestBroker();
  dir = scratchDir('ledger-puback');
  ledger = FleetLedger.start({
    broker: { url: broker.url, protocolVersion: 4 },
    dbPath: join(dir.path, 'ledger.sqlite'),
    logger: silentLogger(),
    sharedSubscription: false,
  });
  await ledger.whenSubscribed();
  kiosk = await FakeKiosk.connect(broker.url, 'k-001');
});

afterEach(async () => {
  await kiosk.close();
  await ledger.stop();
  await broker.close();
  dir.remove();
});

describe('fleet ledger: PUBACKs of a burst', () => {
  it('answers every payment once, in the order received, in far fewer socket writes', async () => {
    const client = (ledger as unknown as { client: MqttClient }).client;
    const received: number[] = [];
    const pubacks: number[] = [];
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'publish' && packet.qos === 1) received.push(packet.messageId ?? -1);
    });
    client.on('packetsend', (packet: Packet) => {
      if (packet.cmd === 'puback') pubacks.push(packet.messageId ?? -1);
    });
    const socket = client.stream as Socket & { _writev?: unknown };
    let socketWrites = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = socket[name] as ((...args: unknown[]) => unknown) | undefined;
      if (original === undefined) continue;
      (socket as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        socketWrites++;
        return original.apply(socket, args);
      };
    }

    const count = 400;
    const payments = Array.from({ length: count }, (_, i) => paymentPayload('k-001', i + 1));
    await Promise.all(payments.map((p) => kiosk.publish(p)));
    await waitFor('every payment acknowledged', () => kiosk.ackedIds().length === count);
    await waitFor('every PUBACK written', () => pubacks.length === received.length);

    expect(received).toHaveLength(count);
    expect(pubacks).toEqual(received);
    // PUBACKs, acks and the odd ping all count; one write per payment would be >= 400.
    expect(socketWrites).toBeLessThan(count / 4);
    expect(ledger.payments('k-001').map((p) => p.seq)).toEqual(payments.map((p) => p.seq));
    expect(ledger.stats()).toMatchObject({ received: count, stored: count, duplicates: 0, invalid: 0 });
  });
});
