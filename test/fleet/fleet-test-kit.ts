import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach } from 'vitest';
import { FleetLedger, type FleetLedgerOptions } from '../../src/fleet/ledger.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import {
  FLEET_PAYLOAD_VERSION,
  kioskTopics,
  type PaymentAck,
  type PaymentPayloadWire,
} from '../../src/fleet-protocol/index.js';
import { createUlidFactory } from '../../src/journal/ulid.js';
import { silentLogger } from '../../src/log.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/** Shared pieces of the fleet tests: a broker on a free loopback port, scratch dirs, fake kiosks. */

const brokersByUrl = new Map<string, EmbeddedBroker>();

export async function startTestBroker(): Promise<EmbeddedBroker> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  brokersByUrl.set(broker.url, broker);
  return broker;
}

/**
 * The login the embedded broker at `url` (started here, or given) made for `username`: the fleet
 * identity for "fleet", else the kiosk of that id.
 */
export function loginAt(
  url: string,
  username: string,
  broker = brokersByUrl.get(url),
): { username: string; password: string } {
  if (broker === undefined) throw new Error(`no test broker at ${url}`);
  return username === 'fleet' ? broker.fleetCredentials : broker.credentialsFor(username);
}

/** A fleet tools config file (`kioskd fleet ... --config FILE`) with the broker's fleet login. */
export function fleetToolsConfig(broker: EmbeddedBroker, dir: string, extra = ''): string {
  const { username, password } = broker.fleetCredentials;
  const file = join(dir, `fleet-tools-${broker.port}.yaml`);
  writeFileSync(
    file,
    `broker:\n  url: ${broker.url}\n  username: ${username}\n  password: ${password}\n${extra}`,
    { mode: 0o600 },
  );
  return file;
}

export function scratchDir(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `kioskd-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A ledger on a fresh embedded broker and database, and a fake kiosk k-001, for each test. */
export interface LedgerRig {
  broker: EmbeddedBroker;
  dir: ReturnType<typeof scratchDir>;
  ledger: FleetLedger;
  kiosk: FakeKiosk;
}

type LedgerRigOptions = Partial<Pick<FleetLedgerOptions, 'logger' | 'probeTimeoutMs' | 'sharedSubscription'>>;

/**
 * Registers the hooks that build a LedgerRig before each test and tear down whatever it holds
 * after it (a test may replace the broker, ledger or kiosk, e.g. to restart one). `options` is
 * read before each test, so it may hand out a fresh logger.
 */
export function useLedgerRig(name: string, options: () => LedgerRigOptions = () => ({})): LedgerRig {
  const rig = {} as LedgerRig;
  beforeEach(async () => {
    rig.broker = await startTestBroker();
    rig.dir = scratchDir(name);
    rig.ledger = FleetLedger.start({
      broker: { url: rig.broker.url, protocolVersion: 4, ...rig.broker.fleetCredentials },
      dbPath: join(rig.dir.path, 'ledger.sqlite'),
      ackKey: TEST_LEDGER_KEY.privateKey,
      logger: silentLogger(),
      ...options(),
    });
    await rig.ledger.whenSubscribed();
    rig.kiosk = await FakeKiosk.connect(rig.broker.url, 'k-001');
  });
  afterEach(async () => {
    await rig.kiosk.close();
    await rig.ledger.stop();
    await rig.broker.close();
    rig.dir.remove();
  });
  return rig;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const nextUlid = createUlidFactory();

export function paymentPayload(kioskId: string, seq: number, overrides: Partial<PaymentPayloadWire> = {}) {
  return {
    v: FLEET_PAYLOAD_VERSION,
    kioskId,
    ts: new Date().toISOString(),
    paymentId: nextUlid(),
    seq,
    account: '13800138000',
    amount: 5000 * seq,
    currency: 'CNY',
    notes: [{ denomination: 5000, count: seq }],
    kind: 'complete',
    txId: nextUlid(),
    receipt: true,
    ...overrides,
  } satisfies PaymentPayloadWire;
}

/** What a kiosk's fleet link does on the wire, reduced to publishing payments and reading acks. */
export class FakeKiosk {
  readonly acks: PaymentAck[] = [];
  /** Seq of every payment id this kiosk published, to read what an `ackThroughSeq` covers. */
  private readonly seqOf = new Map<string, number>();
  private constructor(
    readonly kioskId: string,
    readonly client: MqttClient,
  ) {}

  static async connect(url: string, kioskId: string, broker?: EmbeddedBroker): Promise<FakeKiosk> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      clientId: `kiosk-${kioskId}`,
      reconnectPeriod: 0,
      ...loginAt(url, kioskId, broker),
    });
    const kiosk = new FakeKiosk(kioskId, client);
    const topics = kioskTopics(kioskId);
    client.on('message', (topic, payload) => {
      if (topic === topics.paymentAck) kiosk.acks.push(JSON.parse(payload.toString()) as PaymentAck);
    });
    await client.subscribeAsync(topics.paymentAck, { qos: 1 });
    return kiosk;
  }

  async publish(payload: unknown): Promise<void> {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const { paymentId, seq } = (typeof payload === 'object' && payload !== null ? payload : {}) as {
      paymentId?: unknown;
      seq?: unknown;
    };
    if (typeof paymentId === 'string' && typeof seq === 'number') this.seqOf.set(paymentId, seq);
    await this.client.publishAsync(kioskTopics(this.kioskId).payment, body, { qos: 1 });
  }

  /** Published payment ids the acks so far cover, by name or by `ackThroughSeq`; each once. */
  ackedIds(): string[] {
    const through = Math.max(0, ...this.acks.map((a) => a.ackThroughSeq ?? 0));
    const named = new Set(this.acks.flatMap((a) => a.paymentIds ?? []));
    return [...this.seqOf].filter(([id, seq]) => named.has(id) || seq <= through).map(([id]) => id);
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}
