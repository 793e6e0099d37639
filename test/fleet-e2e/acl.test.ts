import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kioskTopics, sharedSubscription } from '../../src/fleet-protocol/index.js';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { connectRaw, connectWithCertificate, type RecordingClient, record } from './raw-mqtt.js';

// The ACL of seeds/mosquitto/acl, enforced by a real Mosquitto started from
// seeds/mosquitto/mosquitto.conf: each kiosk is its certificate's CN and nothing more.
const A = 'K-A';
const B = 'K-B';
const topicsA = kioskTopics(A);
const topicsB = kioskTopics(B);
/** MQTT 5 PUBACK reason code Mosquitto answers a publish the ACL denies with. */
const NOT_AUTHORIZED = 135;

let pki: TestPki;
let broker: MosquittoBroker;
const opened: MqttClient[] = [];

beforeAll(async () => {
  pki = createTestPki();
  broker = await startMosquitto({ pki, plainUsers: new Map([[A, 'bench-password-a']]) });
});

afterAll(async () => {
  await broker?.dispose();
  pki?.remove();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.endAsync(true)));
});

async function as(identity: string, protocolVersion: 4 | 5 = 5): Promise<RecordingClient> {
  const certificate = identity === 'fleet' ? pki.fleet : pki.client(identity);
  const client = await connectWithCertificate(broker, pki, certificate, {
    clientId: `${identity}-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion,
  });
  opened.push(client);
  return record(client);
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** MQTT 5 tells the publisher; 3.1.1 has no way to, so the broker drops it silently. */
async function publishDenied(who: RecordingClient, topic: string, protocolVersion: 4 | 5): Promise<void> {
  if (protocolVersion === 5) {
    await expect(who.client.publishAsync(topic, 'forged', { qos: 1 })).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
  } else {
    await who.client.publishAsync(topic, 'forged', { qos: 1 });
  }
}

describe('kiosk identity (Mosquitto + seeds/mosquitto ACL)', () => {
  it.each([5, 4] as const)('kiosk A cannot publish on any of B’s topics (MQTT %i)', async (version) => {
    const fleet = await as('fleet');
    await fleet.client.subscribeAsync('kiosk/v1/#', { qos: 1 });
    const a = await as(A, version);
    for (const topic of [topicsB.status, topicsB.health, topicsB.alert, topicsB.payment, topicsB.cmdResult]) {
      await publishDenied(a, topic, version);
    }
    // A's own payment travels the same connection after the forgeries: once the fleet has
    // it, anything the broker had let through would already have arrived.
    await a.client.publishAsync(topicsA.payment, 'own', { qos: 1 });
    await fleet.waitFor((m) => m.topic === topicsA.payment);
    expect(fleet.received.map((m) => m.topic)).toEqual([topicsA.payment]);
  });

  it.each([5, 4] as const)(
    'kiosk A cannot send a command or a payment ack, to B or to itself (MQTT %i)',
    async (version) => {
      const b = await as(B);
      await b.client.subscribeAsync([topicsB.cmd, topicsB.paymentAck], { qos: 1 });
      const a = await as(A, version);
      await a.client.subscribeAsync([topicsA.cmd, topicsA.paymentAck], { qos: 1 });
      for (const topic of [topicsB.cmd, topicsB.paymentAck, topicsA.cmd, topicsA.paymentAck]) {
        await publishDenied(a, topic, version);
      }
      const fleet = await as('fleet');
      await fleet.client.publishAsync(topicsA.cmd, 'real-a', { qos: 1 });
      await fleet.client.publishAsync(topicsB.cmd, 'real-b', { qos: 1 });
      await a.waitFor((m) => m.payload === 'real-a');
      await b.waitFor((m) => m.payload === 'real-b');
      expect(a.received.map((m) => m.payload)).toEqual(['real-a']);
      expect(b.received.map((m) => m.payload)).toEqual(['real-b']);
    },
  );

  it('kiosk A reads nothing of B’s, whatever it subscribes to', async () => {
    const a = await as(A);
    const filters = [
      topicsB.cmd,
      topicsB.paymentAck,
      topicsB.status,
      'kiosk/v1/#',
      'kiosk/v1/+/cmd',
      '#',
      sharedSubscription('ledger', 'kiosk/v1/+/payment'),
    ];
    // Mosquitto grants the subscription and filters each message on delivery; the point is
    // what arrives, not what the SUBACK says.
    await a.client.subscribeAsync(filters, { qos: 1 });
    const b = await as(B);
    const fleet = await as('fleet');
    await b.client.publishAsync(topicsB.status, 'b-status', { qos: 1, retain: true });
    await b.client.publishAsync(topicsB.payment, 'b-payment', { qos: 1 });
    await fleet.client.publishAsync(topicsB.cmd, 'b-cmd', { qos: 1 });
    await fleet.client.publishAsync(topicsB.paymentAck, 'b-ack', { qos: 1 });
    await fleet.client.publishAsync(topicsA.cmd, 'a-cmd', { qos: 1 });
    await a.waitFor((m) => m.payload === 'a-cmd');
    expect(a.received.every((m) => m.topic.startsWith(`kiosk/v1/${A}/`))).toBe(true);
    expect(a.received.some((m) => m.payload.startsWith('b-'))).toBe(false);
    // Subscribing afterwards does not hand over B's retained status either.
    const late = await as(A);
    await late.client.subscribeAsync([topicsB.status, 'kiosk/v1/#'], { qos: 1 });
    await fleet.client.publishAsync(topicsA.cmd, 'a-cmd-2', { qos: 1 });
    await late.waitFor((m) => m.payload === 'a-cmd-2');
    expect(late.received.map((m) => m.payload)).toEqual(['a-cmd-2']);
    await b.client.publishAsync(topicsB.status, '', { qos: 1, retain: true });
  });

  it('a Will naming another kiosk never reaches anyone', async () => {
    const fleet = await as('fleet');
    await fleet.client.subscribeAsync('kiosk/v1/+/status', { qos: 1 });
    const attempt = connectWithCertificate(broker, pki, pki.client(A), {
      clientId: 'A-forged-will',
      will: { topic: topicsB.status, payload: Buffer.from('forged-offline'), qos: 1, retain: true },
    });
    // Mosquitto 2.0 accepts the CONNECT and checks the Will against the ACL when it fires
    // (a later version may refuse the CONNECT instead): either way nothing may arrive.
    const forged = await attempt.catch((error: { code?: number }) => {
      expect(error.code).toBe(NOT_AUTHORIZED);
      return undefined;
    });
    if (forged) {
      forged.stream.destroy();
      await waitUntil(() => /Client A-forged-will (closed its connection|disconnected)/.test(broker.log()));
    }
    const a = await as(A);
    await a.client.publishAsync(topicsA.status, 'a-online', { qos: 1 });
    await fleet.waitFor((m) => m.payload === 'a-online');
    expect(fleet.received.map((m) => m.payload)).toEqual(['a-online']);
    await a.client.publishAsync(topicsA.status, '', { qos: 1, retain: true });
  });
});

describe('the fleet identity', () => {
  it('publishes commands and acks to any kiosk and reads all kiosks’ topics, shared subscription included', async () => {
    const fleet = await as('fleet');
    await fleet.client.subscribeAsync(['kiosk/v1/#'], { qos: 1 });
    const ledger = await as('fleet');
    await ledger.client.subscribeAsync(sharedSubscription('ledger', 'kiosk/v1/+/payment'), { qos: 1 });
    const a = await as(A);
    const b = await as(B);
    await a.client.subscribeAsync([topicsA.cmd, topicsA.paymentAck], { qos: 1 });
    await b.client.subscribeAsync([topicsB.cmd], { qos: 1 });

    const published: Array<[RecordingClient, string]> = [
      [a, topicsA.status],
      [a, topicsA.health],
      [a, topicsA.alert],
      [a, topicsA.payment],
      [a, topicsA.cmdResult],
      [b, topicsB.payment],
    ];
    for (const [who, topic] of published) await who.client.publishAsync(topic, `via ${topic}`, { qos: 1 });
    await fleet.client.publishAsync(topicsA.cmd, 'cmd-a', { qos: 1 });
    await fleet.client.publishAsync(topicsA.paymentAck, 'ack-a', { qos: 1 });
    await fleet.client.publishAsync(topicsB.cmd, 'cmd-b', { qos: 1 });

    await a.waitFor((m) => m.payload === 'ack-a');
    await b.waitFor((m) => m.payload === 'cmd-b');
    expect(a.received.map((m) => m.payload)).toEqual(['cmd-a', 'ack-a']);
    for (const [, topic] of published) await fleet.waitFor((m) => m.topic === topic);
    await ledger.waitFor((m) => m.topic === topicsB.payment);
    expect(ledger.received.map((m) => m.topic).sort()).toEqual([topicsA.payment, topicsB.payment].sort());
  });
});

describe('authentication', () => {
  it('refuses a client without a certificate', async () => {
    await expect(
      connectRaw(broker.tlsUrl, { ca: pki.tlsFiles(pki.fleet).ca, clientId: 'no-cert' }),
    ).rejects.toThrow(/certificate required|ECONNRESET|closed before CONNACK/);
  });

  it('refuses a certificate from another CA, even with the fleet’s name on it', async () => {
    const forged = pki.foreign('fleet');
    await expect(
      connectRaw(broker.tlsUrl, {
        ca: pki.tlsFiles(pki.fleet).ca,
        cert: pki.tlsFiles(forged).cert,
        key: pki.tlsFiles(forged).key,
        clientId: 'forged-fleet',
      }),
    ).rejects.toThrow(/unknown ca|certificate|ECONNRESET|closed before CONNACK/i);
  });

  it('the benchmarks’ plain listener refuses a wrong password and keeps the same ACL', async () => {
    const url = broker.plainUrl!;
    await expect(
      connectRaw(url, { username: A, password: 'wrong', clientId: 'plain-bad' }),
    ).rejects.toMatchObject({ code: NOT_AUTHORIZED });
    await expect(connectRaw(url, { clientId: 'plain-anonymous' })).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
    const plainA = await connectRaw(url, { username: A, password: 'bench-password-a', clientId: 'plain-a' });
    opened.push(plainA);
    await expect(plainA.publishAsync(topicsB.payment, 'forged', { qos: 1 })).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
    await plainA.publishAsync(topicsA.payment, 'own', { qos: 1 });
  });
});
