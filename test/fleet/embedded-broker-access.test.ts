import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from './fleet-test-kit.js';

/*
 * The embedded broker is closed like the Mosquitto template (seeds/mosquitto/acl): no anonymous
 * client, a kiosk only as itself and only on its own topics, the fleet identity reads every
 * kiosk and is the only one that sends commands and payment acks.
 */

let broker: EmbeddedBroker;
const clients: MqttClient[] = [];

beforeEach(async () => {
  broker = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.end(true);
  await broker.close();
});

async function login(username: string | undefined, password: string | undefined): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** The CONNACK refusal code, or 0 when the broker accepted the client. */
async function refusalOf(username: string | undefined, password: string | undefined): Promise<unknown> {
  try {
    await login(username, password);
    return 0;
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
}

async function asKiosk(kioskId: string): Promise<MqttClient> {
  const { username, password } = broker.credentialsFor(kioskId);
  return login(username, password);
}

async function asFleet(): Promise<MqttClient> {
  const { username, password } = broker.fleetCredentials;
  return login(username, password);
}

/** The QoS granted per filter (128 = refused); mqtt.js reports any refusal as an error beside them. */
function grants(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos: 1 }, (_error, _granted, suback) => {
      if (suback?.granted === undefined) reject(new Error('no SUBACK'));
      else resolve(suback.granted as number[]);
    });
  });
}

/** Every message a client receives, in order. */
function inbox(client: MqttClient): string[] {
  const seen: string[] = [];
  client.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  return seen;
}

/**
 * Publishes `topic` from `sender`, then a marker from a client allowed to publish it; once the
 * marker arrived at `reader`, the broker has decided the first publish.
 */
async function publishThenMark(
  sender: MqttClient,
  topic: string,
  reader: string[],
  marker: { client: MqttClient; topic: string },
): Promise<void> {
  await new Promise<void>((resolve) => {
    // A refused publish ends a 3.1.1 connection (there is no reason code to send back).
    sender.once('close', () => resolve());
    sender.publish(topic, 'forged', { qos: 1 }, () => resolve());
  });
  await marker.client.publishAsync(marker.topic, 'marker', { qos: 1 });
  await waitFor(`the marker on ${marker.topic}`, () => reader.includes(`${marker.topic} marker`), 10_000);
}

describe('embedded broker access', () => {
  it('refuses an anonymous client, an unknown user and a wrong password', async () => {
    expect(await refusalOf(undefined, undefined)).toBe(5);
    expect(await refusalOf('fleet', 'not-the-password')).toBe(5);
    const kiosk = broker.credentialsFor('k-1');
    expect(await refusalOf(kiosk.username, broker.credentialsFor('k-2').password)).toBe(5);
    expect(await refusalOf(kiosk.username, kiosk.password)).toBe(0);
    expect(await refusalOf(broker.fleetCredentials.username, broker.fleetCredentials.password)).toBe(0);
  });

  it('generates new passwords at every start', async () => {
    const first = broker.credentialsFor('k-1').password;
    const other = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    try {
      expect(other.credentialsFor('k-1').password).not.toBe(first);
      expect(other.fleetCredentials.password).not.toBe(broker.fleetCredentials.password);
    } finally {
      await other.close();
    }
  });

  it('lets a kiosk publish only its own reports, never another kiosk’s, a cmd or a payment/ack', async () => {
    const fleet = await asFleet();
    const seen = inbox(fleet);
    await fleet.subscribeAsync('kiosk/v1/#', { qos: 1 });
    const honest = await asKiosk('k-2');
    const marker = { client: honest, topic: 'kiosk/v1/k-2/health' };

    for (const own of ['status', 'health', 'alert', 'alerts', 'payment', 'collection', 'cmd/result']) {
      const kiosk = await asKiosk('k-1');
      await kiosk.publishAsync(`kiosk/v1/k-1/${own}`, 'mine', { qos: 1 });
      await waitFor(`k-1's ${own}`, () => seen.includes(`kiosk/v1/k-1/${own} mine`), 10_000);
    }
    for (const forged of [
      'kiosk/v1/k-2/payment',
      'kiosk/v1/k-2/status',
      'kiosk/v1/k-1/cmd',
      'kiosk/v1/k-1/payment/ack',
      'kiosk/v1/k-2/payment/ack',
      'elsewhere/topic',
    ]) {
      const kiosk = await asKiosk('k-1');
      await publishThenMark(kiosk, forged, seen, marker);
      expect(seen).not.toContain(`${forged} forged`);
    }
  });

  it('lets a kiosk subscribe only to its own cmd and payment/ack', async () => {
    const kiosk = await asKiosk('k-1');
    const granted = await grants(kiosk, [
      'kiosk/v1/k-1/cmd',
      'kiosk/v1/k-1/payment/ack',
      'kiosk/v1/k-2/cmd',
      'kiosk/v1/k-2/payment/ack',
      'kiosk/v1/+/cmd',
      'kiosk/v1/#',
      'kiosk/v1/k-1/payment',
      '#',
    ]);
    expect(granted).toEqual([1, 1, 128, 128, 128, 128, 128, 128]);
  });

  it('lets the fleet read every kiosk and send cmd and payment/ack, but not forge kiosk reports', async () => {
    const fleet = await asFleet();
    expect(await grants(fleet, ['kiosk/v1/+/payment', 'kiosk/v1/#', '#'])).toEqual([1, 1, 128]);
    const kiosk = await asKiosk('k-1');
    const kioskSeen = inbox(kiosk);
    await kiosk.subscribeAsync(['kiosk/v1/k-1/cmd', 'kiosk/v1/k-1/payment/ack'], { qos: 1 });
    await fleet.publishAsync('kiosk/v1/k-1/cmd', 'do', { qos: 1 });
    await fleet.publishAsync('kiosk/v1/k-1/payment/ack', 'ack', { qos: 1 });
    await waitFor('cmd and ack at the kiosk', () => kioskSeen.length === 2, 10_000);

    const fleetSeen = inbox(fleet);
    const forger = await asFleet();
    await publishThenMark(forger, 'kiosk/v1/k-1/payment', fleetSeen, {
      client: kiosk,
      topic: 'kiosk/v1/k-1/status',
    });
    expect(fleetSeen).not.toContain('kiosk/v1/k-1/payment forged');
  });
});
