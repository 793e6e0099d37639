import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connect, type MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { kioskConfigSchema } from '../../src/config/index.js';
import type { FleetLinkConfig } from '../../src/fleet-link/fleet-link-config.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import {
  type CommandEnvelope,
  generateFleetKeyPair,
  readPrivateKeyPem,
  signCommand,
  type UnsignedCommand,
} from '../../src/fleet-protocol/index.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';

export const KIOSK_ID = 'K-0001';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs after the test, in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-fleet-link-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function openJournal(dir: string): Journal {
  const journal = Journal.open({
    path: join(dir, 'journal.sqlite'),
    kioskId: KIOSK_ID,
    logger: silentLogger(),
  });
  onCleanup(() => {
    if (journal.isOpen) journal.close();
  });
  return journal;
}

/** Commits `count` one-note payments (100 fen each... plus the index, so amounts differ). */
export function makePayments(journal: Journal, count: number): void {
  for (let i = 0; i < count; i++) {
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 1_000_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'cashAcceptor',
      escrowCode: '0x61',
      denomination: 1000,
    });
    journal.notes.commitCredit({ noteId });
    journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
  }
}

export interface TestBroker {
  readonly url: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Cuts every client's socket without a DISCONNECT, as a crash or a pulled cable would. */
  dropAllConnections(): void;
  close(): Promise<void>;
}

/** A plain Aedes broker (MQTT 3.1.1) on 127.0.0.1; `port` 0 picks a free one. */
export async function startTestBroker(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker has no TCP address');
  let closed = false;
  const broker: TestBroker = {
    url: `mqtt://127.0.0.1:${address.port}`,
    port: address.port,
    aedes,
    dropAllConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
  onCleanup(() => broker.close());
  return broker;
}

export interface Received {
  topic: string;
  json: Record<string, unknown>;
  retain: boolean;
  qos: number;
}

/** The fleet's side in a test: sees every message of the kiosk, publishes acks and commands. */
export class FleetObserver {
  readonly received: Received[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        json = { unparsable: payload.toString('utf8') };
      }
      this.received.push({ topic, json, retain: packet.retain, qos: packet.qos });
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  static async connect(url: string, topics = [`kiosk/v1/${KIOSK_ID}/#`]): Promise<FleetObserver> {
    const client = connect(url, {
      protocolVersion: 4,
      clientId: `fleet-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(topics, { qos: 1 });
    const observer = new FleetObserver(client);
    onCleanup(() => client.endAsync(true));
    return observer;
  }

  on(kind: string): Received[] {
    return this.received.filter((m) => m.topic === `kiosk/v1/${KIOSK_ID}/${kind}`);
  }

  /** Waits until `probe` finds something (in what was received or elsewhere); fails naming what did arrive. */
  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const first = probe();
    if (first !== undefined && first !== false) return first;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined || value === false) return;
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiters.delete(check);
        resolve(value);
      };
      // Probes may look at the kiosk's journal too, which changes without a message here.
      const poll = setInterval(check, 25);
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.#waiters.delete(check);
        const topics = this.received.map((m) => m.topic.split('/').slice(3).join('/'));
        reject(new Error(`timed out waiting for ${what}; received: ${topics.join(', ') || 'nothing'}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async publish(kind: string, payload: unknown, kioskId = KIOSK_ID): Promise<void> {
    const text = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(`kiosk/v1/${kioskId}/${kind}`, text, { qos: 1 });
  }
}

export interface FleetSigner {
  publicKeyPem: string;
  sign(command: UnsignedCommand): CommandEnvelope;
}

export function fleetSigner(): FleetSigner {
  const pair = generateFleetKeyPair();
  const key = readPrivateKeyPem(pair.privateKeyPem);
  return { publicKeyPem: pair.publicKeyPem, sign: (command) => signCommand(command, key) };
}

/**
 * The link's config for a test: MQTT 3.1.1 (Aedes), quick reconnects, the signer's key trusted
 * for commands and TEST_LEDGER_KEY for payment acks.
 */
export function linkConfig(input: {
  dataDir: string;
  brokerUrl: string;
  fleet?: Record<string, unknown>;
  publicKeyPem?: string;
}): FleetLinkConfig {
  const fleet = input.fleet ?? {};
  const config = kioskConfigSchema.parse({
    kioskId: KIOSK_ID,
    dataDir: input.dataDir,
    fleet: {
      broker: { url: input.brokerUrl, protocolVersion: 4 },
      reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0.5 },
      ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
      ...fleet,
      commands: {
        publicKeys: input.publicKeyPem === undefined ? [] : [{ id: 'fleet-test', key: input.publicKeyPem }],
        ...((fleet['commands'] as Record<string, unknown> | undefined) ?? {}),
      },
    },
  });
  return { kioskId: config.kioskId, dataDir: config.dataDir, fleet: config.fleet };
}

/** A `payment/ack` payload for this kiosk, with the given fields, signed by the test ledger. */
export function paymentAck(fields: Record<string, unknown>): Record<string, unknown> {
  return TEST_LEDGER_KEY.sign(unsignedPaymentAck(fields));
}

/** A `payment/ack` payload for this kiosk without a signature, as anyone could publish it. */
export function unsignedPaymentAck(fields: Record<string, unknown>): Record<string, unknown> {
  return { v: 1, kioskId: KIOSK_ID, ts: new Date().toISOString(), ...fields };
}

/** The seq of a payment the observer received. */
export const seqOf = (m: { json: Record<string, unknown> }) => m.json['seq'] as number;

/**
 * A broker, a journal holding `payments` unsent payments, a fleet observer and the link
 * started on them (stopped after the test). `prepare` runs on the journal and its directory
 * before the link starts (to tamper with the file or wrap a journal method).
 */
export async function startOutboxRig(
  options: {
    payments?: number;
    maxInFlight?: number;
    resendAfterMs?: number;
    prepare?: (journal: Journal, dir: string) => void;
  } = {},
) {
  const broker = await startTestBroker();
  const dir = tempDir();
  const journal = openJournal(dir);
  makePayments(journal, options.payments ?? 0);
  options.prepare?.(journal, dir);
  const fleet = await FleetObserver.connect(broker.url);
  const config = linkConfig({
    dataDir: dir,
    brokerUrl: broker.url,
    fleet: {
      outbox: { maxInFlight: options.maxInFlight ?? 32, resendAfterMs: options.resendAfterMs ?? 60_000 },
    },
  });
  const { link } = startFleetLink({ config, journal, logger: silentLogger() });
  onCleanup(() => link.stop());
  return { broker, journal, fleet, link };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
