import type { Socket } from 'node:net';
import type { MqttClient, Packet } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { paymentPayload, useLedgerRig, waitFor } from './fleet-test-kit.js';

/**
 * The ledger holds the PUBACKs of one socket read until the immediate after it, so a burst of
 * payments costs one socket write instead of one per payment. That must never lose, repeat
 * or reorder a PUBACK.
 */
const rig = useLedgerRig('ledger-puback', () => ({ sharedSubscription: false }));

describe('fleet ledger: PUBACKs of a burst', () => {
  it('answers every payment once, in the order received, in far fewer socket writes', async () => {
    const client = (rig.ledger as unknown as { client: MqttClient }).client;
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
    await Promise.all(payments.map((p) => rig.kiosk.publish(p)));
    await waitFor('every payment acknowledged', () => rig.kiosk.ackedIds().length === count);
    await waitFor('every PUBACK written', () => pubacks.length === received.length);

    expect(received).toHaveLength(count);
    expect(pubacks).toEqual(received);
    // PUBACKs, acks and the odd ping all count; one write per payment would be >= 400.
    expect(socketWrites).toBeLessThan(count / 4);
    expect(rig.ledger.payments('k-001').map((p) => p.seq)).toEqual(payments.map((p) => p.seq));
    expect(rig.ledger.stats()).toMatchObject({ received: count, stored: count, duplicates: 0, invalid: 0 });
  });
});
