/**
 * Fleet ledger ingest: how many payments per second one reference ledger (src/fleet/ledger.ts,
 * SQLite, one durable commit per batch) stores and acknowledges when hundreds of kiosks
 * publish to it at once through a real Mosquitto, and whether every payment is stored
 * exactly once.
 *
 * The kiosks are simulated in a child process (so their mqtt.js work does not share the
 * ledger's event loop): each has its own connection, client id and MQTT username, and
 * behaves like the fleet link: a bounded window of unacknowledged payments, gap-free seqs,
 * resend after a timeout until the ledger's `payment/ack` names the payment. The kiosks use the
 * test broker's plain listener with per-kiosk passwords under the same ACL as the TLS listener
 * (test/helpers/mosquitto.ts), so 500 client certificates and TLS handshakes do not compete
 * with the ledger for the two cores; the ledger itself connects as `fleet` the same way.
 *
 * Judged: sustained payments/s stored over a window after a warm-up, against 2,100/s — the
 * seed's provincial billing system averaged 180 million records a day (≈ 2,083/s) — and only
 * with zero loss (every payment a kiosk made is in the ledger once everything is acknowledged)
 * and zero duplicates (rows = distinct (kioskId, paymentId) = distinct (kioskId, seq)).
 *
 * `npx tsx bench/ledger-ingest.bench.ts [--smoke]` prints the result as JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { FleetLedger } from '../src/fleet/ledger.js';
import { FLEET_PAYLOAD_VERSION, kioskTopics, type PaymentPayloadWire } from '../src/fleet-protocol/index.js';
import { createUlidFactory } from '../src/journal/ulid.js';
import { silentLogger } from '../src/log.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { createTestPki } from '../test/helpers/pki.js';
import type { BenchResult } from './bench-result.js';

const TARGET_PER_SEC = 2_100;
const CHILD_FLAG = '--simulated-kiosks';

interface Plan {
  kiosks: number;
  warmupMs: number;
  windowMs: number;
  /** Unacknowledged payments a kiosk keeps out at once (the link's outbox.maxInFlight). */
  inFlight: number;
  resendAfterMs: number;
  drainTimeoutMs: number;
}

const FULL: Plan = {
  kiosks: 500,
  warmupMs: 3_000,
  windowMs: 15_000,
  inFlight: 8,
  resendAfterMs: 15_000,
  drainTimeoutMs: 60_000,
};
const SMOKE: Plan = {
  kiosks: 20,
  warmupMs: 500,
  windowMs: 1_500,
  inFlight: 4,
  resendAfterMs: 5_000,
  drainTimeoutMs: 20_000,
};

// ------------------------------------------------------------------ messages parent <-> child

interface StartMessage {
  type: 'start';
  url: string;
  kiosks: Array<{ id: string; password: string }>;
  inFlight: number;
  resendAfterMs: number;
}
type ParentMessage =
  | StartMessage
  | { type: 'publish' }
  | { type: 'finish'; timeoutMs: number }
  | { type: 'exit' };

interface DrainReport {
  type: 'drained';
  /** Payments each kiosk made (seq 1..n), by kiosk id. */
  published: Record<string, number>;
  unacked: number;
  resent: number;
  acks: number;
}
type ChildMessage = { type: 'connected'; ms: number } | DrainReport | { type: 'failed'; error: string };

// ------------------------------------------------------------------ the simulated kiosks (child)

interface InFlight {
  paymentId: string;
  body: string;
  sentAt: number;
}

class SimulatedKiosk {
  private seq = 0;
  private readonly unacked = new Map<number, InFlight>();
  private readonly seqById = new Map<string, number>();
  private readonly topics;
  publishing = false;
  resent = 0;
  acks = 0;

  constructor(
    readonly id: string,
    readonly client: MqttClient,
    private readonly inFlight: number,
    private readonly newId: () => string,
  ) {
    this.topics = kioskTopics(id);
    client.on('message', (topic, payload) => {
      if (topic === this.topics.paymentAck) this.onAck(payload.toString('utf8'));
    });
  }

  get made(): number {
    return this.seq;
  }

  get outstanding(): number {
    return this.unacked.size;
  }

  subscribe(): Promise<unknown> {
    return this.client.subscribeAsync(this.topics.paymentAck, { qos: 1 });
  }

  fill(): void {
    while (this.publishing && this.unacked.size < this.inFlight) {
      this.seq++;
      const payment: PaymentPayloadWire = {
        v: FLEET_PAYLOAD_VERSION,
        kioskId: this.id,
        ts: new Date().toISOString(),
        paymentId: this.newId(),
        seq: this.seq,
        account: '13800138000',
        amount: 10_000,
        currency: 'CNY',
        notes: [{ denomination: 10_000, count: 1 }],
        kind: 'complete',
        txId: this.newId(),
        receipt: true,
      };
      const entry = { paymentId: payment.paymentId, body: JSON.stringify(payment), sentAt: 0 };
      this.unacked.set(this.seq, entry);
      this.seqById.set(entry.paymentId, this.seq);
      this.send(entry);
    }
  }

  resendOlderThan(now: number, ageMs: number): void {
    for (const entry of this.unacked.values()) {
      if (now - entry.sentAt >= ageMs) {
        this.resent++;
        this.send(entry);
      }
    }
  }

  private send(entry: InFlight): void {
    entry.sentAt = performance.now();
    // A failed publish is covered by the resend timer, like the link's outbox.
    this.client.publish(this.topics.payment, entry.body, { qos: 1 }, () => undefined);
  }

  private onAck(text: string): void {
    let ack: { ackThroughSeq?: number; paymentIds?: string[] };
    try {
      ack = JSON.parse(text) as typeof ack;
    } catch {
      return;
    }
    this.acks++;
    if (typeof ack.ackThroughSeq === 'number') {
      for (const seq of this.unacked.keys()) {
        if (seq <= ack.ackThroughSeq) this.forget(seq);
      }
    }
    for (const id of ack.paymentIds ?? []) {
      const seq = this.seqById.get(id);
      if (seq !== undefined) this.forget(seq);
    }
    this.fill();
  }

  private forget(seq: number): void {
    const entry = this.unacked.get(seq);
    if (!entry) return;
    this.unacked.delete(seq);
    this.seqById.delete(entry.paymentId);
  }
}

function connectKiosk(url: string, id: string, password: string): Promise<MqttClient> {
  return new Promise((resolvePromise, reject) => {
    const client = mqtt.connect(url, {
      clientId: `bench-${id}`,
      username: id,
      password,
      protocolVersion: 5,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1_000,
      connectTimeout: 30_000,
      queueQoSZero: false,
    });
    client.once('connect', () => {
      client.off('error', reject);
      resolvePromise(client);
    });
    client.once('error', reject);
  });
}

async function simulateKiosks(): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const kiosks: SimulatedKiosk[] = [];
  let resendTimer: NodeJS.Timeout | undefined;
  let resendAfterMs = 0;
  const newId = createUlidFactory();
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    const handle = async () => {
      switch (message.type) {
        case 'start': {
          const started = performance.now();
          resendAfterMs = message.resendAfterMs;
          // A few dozen at a time: a broker flooded with handshakes times some of them out.
          for (let i = 0; i < message.kiosks.length; i += 50) {
            const batch = message.kiosks.slice(i, i + 50);
            const clients = await Promise.all(batch.map((k) => connectKiosk(message.url, k.id, k.password)));
            for (const [j, client] of clients.entries()) {
              const kiosk = new SimulatedKiosk(batch[j]!.id, client, message.inFlight, newId);
              await kiosk.subscribe();
              kiosks.push(kiosk);
            }
          }
          send({ type: 'connected', ms: Math.round(performance.now() - started) });
          return;
        }
        case 'publish':
          for (const kiosk of kiosks) kiosk.publishing = true;
          for (const kiosk of kiosks) kiosk.fill();
          resendTimer = setInterval(() => {
            const now = performance.now();
            for (const kiosk of kiosks) kiosk.resendOlderThan(now, resendAfterMs);
          }, 250);
          return;
        case 'finish': {
          for (const kiosk of kiosks) kiosk.publishing = false;
          const deadline = performance.now() + message.timeoutMs;
          const outstanding = () => kiosks.reduce((n, k) => n + k.outstanding, 0);
          while (outstanding() > 0 && performance.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
          clearInterval(resendTimer);
          send({
            type: 'drained',
            published: Object.fromEntries(kiosks.map((k) => [k.id, k.made])),
            unacked: outstanding(),
            resent: kiosks.reduce((n, k) => n + k.resent, 0),
            acks: kiosks.reduce((n, k) => n + k.acks, 0),
          });
          return;
        }
        case 'exit':
          await Promise.all(kiosks.map((k) => k.client.endAsync(true)));
          process.exit(0);
      }
    };
    handle().catch((error: unknown) => {
      send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    });
  });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ the parent: broker, ledger, measurement

class KioskFleetProcess {
  private readonly child: ChildProcess;
  private readonly waiters: Array<(m: ChildMessage) => void> = [];
  private failure: Error | undefined;

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') this.failure = new Error(`simulated kiosks: ${message.error}`);
      for (const waiter of this.waiters.splice(0)) waiter(message);
    });
    this.child.once('exit', (code, signal) => {
      this.failure ??= new Error(`simulated kiosks exited early (code ${code}, signal ${signal})`);
      for (const waiter of this.waiters.splice(0)) waiter({ type: 'failed', error: this.failure.message });
    });
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  async next<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    if (this.failure) throw this.failure;
    const message = await new Promise<ChildMessage>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`simulated kiosks: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolvePromise(m);
      });
    });
    if (message.type === 'failed') throw new Error(`simulated kiosks: ${message.error}`);
    if (message.type !== type) throw new Error(`simulated kiosks: expected "${type}", got "${message.type}"`);
    return message as Extract<ChildMessage, { type: T }>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.connected) this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StoreCounts {
  rows: number;
  distinctIds: number;
  distinctSeqs: number;
}

function storeCounts(dbPath: string): {
  counts: StoreCounts;
  perKiosk: Map<string, { n: number; min: number; max: number }>;
} {
  const db = new Database(dbPath, { readonly: true });
  try {
    const counts = db
      .prepare(
        `SELECT count(*) AS rows,
                (SELECT count(*) FROM (SELECT DISTINCT kiosk_id, payment_id FROM ledger_payments)) AS distinctIds,
                (SELECT count(*) FROM (SELECT DISTINCT kiosk_id, seq FROM ledger_payments)) AS distinctSeqs
           FROM ledger_payments`,
      )
      .get() as StoreCounts;
    const rows = db
      .prepare(
        'SELECT kiosk_id AS id, count(*) AS n, min(seq) AS min, max(seq) AS max FROM ledger_payments GROUP BY kiosk_id',
      )
      .all() as Array<{ id: string; n: number; min: number; max: number }>;
    return { counts, perKiosk: new Map(rows.map((r) => [r.id, { n: r.n, min: r.min, max: r.max }])) };
  } finally {
    db.close();
  }
}

export async function run({ smoke = false }: { smoke?: boolean } = {}): Promise<BenchResult> {
  const plan = smoke ? SMOKE : FULL;
  const kiosks = Array.from({ length: plan.kiosks }, (_, i) => ({
    id: `K-${String(i + 1).padStart(5, '0')}`,
    password: randomBytes(12).toString('base64url'),
  }));
  const fleetPassword = randomBytes(12).toString('base64url');
  const scratch = mkdtempSync(join(tmpdir(), 'kioskd-ledger-ingest-'));
  const pki = createTestPki();
  const users = new Map([
    ...kiosks.map((k): [string, string] => [k.id, k.password]),
    ['fleet', fleetPassword],
  ]);
  const broker = await startMosquitto({ pki, plainUsers: users });
  const dbPath = join(scratch, 'ledger.sqlite');
  let ledger: FleetLedger | undefined;
  const fleet = new KioskFleetProcess();
  try {
    const url = broker.plainUrl!;
    ledger = FleetLedger.start({
      broker: { url, protocolVersion: 5, username: 'fleet', password: fleetPassword },
      dbPath,
      // Signing every ack message is part of the ledger's cost, so the bench pays it too.
      ackKey: generateKeyPairSync('ed25519').privateKey,
      logger: silentLogger(),
    });
    await ledger.whenSubscribed();
    fleet.send({ type: 'start', url, kiosks, inFlight: plan.inFlight, resendAfterMs: plan.resendAfterMs });
    const connected = await fleet.next('connected', 120_000);

    fleet.send({ type: 'publish' });
    await sleep(plan.warmupMs);
    const storedAtStart = ledger.stats().stored;
    const windowStart = performance.now();
    await sleep(plan.windowMs);
    const storedAtEnd = ledger.stats().stored;
    const windowMs = performance.now() - windowStart;
    const rate = ((storedAtEnd - storedAtStart) / windowMs) * 1000;

    fleet.send({ type: 'finish', timeoutMs: plan.drainTimeoutMs });
    const drained = await fleet.next('drained', plan.drainTimeoutMs + 10_000);
    const stats = ledger.stats();
    await ledger.stop();
    ledger = undefined;

    const { counts, perKiosk } = storeCounts(dbPath);
    const published = Object.values(drained.published).reduce((a, b) => a + b, 0);
    // A kiosk's payments are seq 1..n: anything else stored for it is a loss or an invention.
    let kiosksNotExact = 0;
    for (const [id, made] of Object.entries(drained.published)) {
      const stored = perKiosk.get(id) ?? { n: 0, min: 0, max: 0 };
      if (made > 0 && (stored.n !== made || stored.min !== 1 || stored.max !== made)) kiosksNotExact++;
    }
    const lost = published - counts.distinctIds;
    const duplicates = counts.rows - counts.distinctIds + (counts.distinctIds - counts.distinctSeqs);
    const pass = rate >= TARGET_PER_SEC && lost === 0 && duplicates === 0 && kiosksNotExact === 0;
    return {
      name: 'ledger-ingest',
      figures: {
        connections: plan.kiosks,
        connectMs: connected.ms,
        inFlightPerKiosk: plan.inFlight,
        windowS: round(windowMs / 1000, 1),
        paymentsInWindow: storedAtEnd - storedAtStart,
        paymentsPerSec: round(rate),
        payments: published,
        stored: counts.distinctIds,
        rows: counts.rows,
        duplicates,
        lost,
        kiosksNotExact,
        unackedAtEnd: drained.unacked,
        resent: drained.resent,
        ledgerDuplicatesAcked: stats.duplicates,
        ledgerInvalid: stats.invalid,
        ackMessages: drained.acks,
        broker: 'mosquitto (plain listener, per-kiosk passwords, seeds ACL)',
        mode: smoke ? 'smoke' : 'full',
      },
      ratio: {
        name: `payments/s ÷ ${TARGET_PER_SEC} (zero loss, zero duplicates)`,
        value: round(rate / TARGET_PER_SEC, 3),
        target: '>= 1',
        pass,
      },
    };
  } finally {
    await fleet.stop();
    await ledger?.stop();
    await broker.dispose();
    pki.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv.includes(CHILD_FLAG)) {
  simulateKiosks().catch((error: unknown) => {
    process.stderr.write(`simulated kiosks failed: ${String(error)}\n`);
    process.exit(1);
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  run({ smoke: process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1' })
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(
        `ledger-ingest bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
