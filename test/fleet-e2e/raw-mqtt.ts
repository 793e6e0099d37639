import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CertificatePaths, TestPki } from '../helpers/pki.js';

/**
 * Plain mqtt.js clients for broker tests: no kioskd code in between, so what they see is
 * what the broker's TLS and ACL allow.
 */
export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface RecordingClient {
  client: MqttClient;
  received: Received[];
  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(predicate: (message: Received) => boolean, timeoutMs?: number): Promise<Received>;
  end(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5_000;

/** Connects once (no automatic reconnect) and resolves on CONNACK, or rejects with the refusal. */
export function connectRaw(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      protocolVersion: 5,
      ...options,
    });
    const fail = (error: Error) => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.off('close', closed);
      resolve(client);
    });
    const closed = () => fail(new Error(`connection to ${url} closed before CONNACK`));
    client.once('error', fail);
    client.once('close', closed);
  });
}

/** A client authenticated by the certificate `identity` over the broker's TLS listener. */
export function connectWithCertificate(
  broker: MosquittoBroker,
  pki: TestPki,
  identity: CertificatePaths,
  options: IClientOptions = {},
): Promise<MqttClient> {
  return connectRaw(broker.tlsUrl, { ...pki.tlsFiles(identity), ...options });
}

export function record(client: MqttClient): RecordingClient {
  const received: Received[] = [];
  const waiters = new Set<{ predicate: (m: Received) => boolean; resolve: (m: Received) => void }>();
  client.on('message', (topic, payload, packet) => {
    const message = { topic, payload: payload.toString('utf8'), retain: packet.retain };
    received.push(message);
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  });
  return {
    client,
    received,
    waitFor(predicate, timeoutMs = 5_000) {
      const already = received.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (message: Received) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = received.map((m) => m.topic).join(', ') || 'nothing';
          reject(new Error(`no matching message within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    end: () => client.endAsync(),
  };
}
