/**
 * Outbox drain rate: a kiosk whose journal holds N unsent payments (an outage just ended)
 * connects, and the real fleet link sends them through a real Mosquitto (mutual TLS, the
 * seeds' configuration and ACL) to the real ledger, which stores each durably and
 * acknowledges it; the clock runs from the link's first outbox read (the first thing it does
 * once connected, before its first publish) until the journal write that marks the last
 * payment delivered by a ledger ack. Beside it, in the same run and on the same broker and TLS
 * listener, raw mqtt.js QoS 1 throughput with the same socket settings (no Nagle, as the
 * link): publish as many messages as there are payments, each exactly a payment's size, and
 * await every PUBACK (to a topic nobody reads, so the broker only has to take them).
 *
 * The drain does strictly more per payment than the raw publish (journal read and write,
 * delivery to the ledger, its SQLite commit and disk sync, the ack back), and keeps at most
 * `fleet.outbox.maxInFlight` (the default) unacknowledged. The ratio drain/raw is judged
 * against ≥ 0.5: the link's bookkeeping and the application ack may cost at most half of what
 * the broker alone allows. The ledger runs in its own process, as it does in a fleet; the link
 * and the raw publisher share the bench's process. Each side runs a warm-up round and then
 * alternates with the other for the measured rounds (each drain a kiosk of its own, with its
 * own journal); the medians are compared. The CPU each process spent per payment is printed
 * beside the rates: on a machine with fewer cores than processes, they say where time goes.
 *
 * `npx tsx bench/outbox-drain.bench.ts [--smoke]` prints the result as JSON;
 * BENCH_DRAIN_WINDOW=n drains with another window.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { kioskConfigSchema } from '../src/config/index.js';
import { FleetLedger, type FleetLedgerStats } from '../src/fleet/ledger.js';
import { startFleetLink } from '../src/fleet-link/index.js';
import { generateFleetKeyPair, kioskTopics, readPrivateKeyPem } from '../src/fleet-protocol/index.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/log.js';
import { type MosquittoBroker, startMosquitto } from '../test/helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../test/helpers/pki.js';
import type { BenchResult } from './bench-result.js';
import { clockTicksPerSecond, cpuMicros } from './proc-stats.js';

const TARGET = 0.5;
const KIOSK = 'K-DRAIN';
const LEDGER_FLAG = '--ledger-process';
interface Plan {
  payments: number;
  /** Measured rounds of each side, after one warm-up round of each; the medians are compared. */
  rounds: number;
  /** The link's window; undefined: the config's default, which is what is judged. */
  maxInFlight: number | undefined;
}

/** BENCH_DRAIN_WINDOW=n drains with another `fleet.outbox.maxInFlight`, to see what it changes. */
function windowFromEnv(): number | undefined {
  const text = process.env['BENCH_DRAIN_WINDOW'];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new Error(
      `BENCH_DRAIN_WINDOW must be an integer from 1 to 1000 (the config's range), got "${text}"`,
    );
  }
  return value;
}

/** Both sides move the same number of messages per round. */
const FULL: Plan = { payments: 10_000, rounds: 5, maxInFlight: windowFromEnv() };
const SMOKE: Plan = { payments: 500, rounds: 1, maxInFlight: windowFromEnv() };
/** How often the bench looks whether the drain has stalled or failed (its end is seen at once). */
const WATCH_MS = 100;

interface LedgerSpec {
  url: string;
  ca: string;
  cert: string;
  key: string;
  dbPath: string;
  /** The ledger's ack signing key (PKCS#8 PEM); the kiosk trusts its public half. */
  ackKeyPem: string;
}
type LedgerMessage =
  | { type: 'ready' }
  | { type: 'stopped'; stats: FleetLedgerStats }
  /** CPU time the ledger process has used so far (user + system). */
  | { type: 'cpu'; micros: number }
  | { type: 'failed'; error: string };

// ------------------------------------------------------------------ the ledger (child process)

async function ledgerProcess(): Promise<void> {
  const spec = JSON.parse(process.env['LEDGER_SPEC'] ?? '') as LedgerSpec;
  const send = (message: LedgerMessage, then?: () => void) => process.send?.(message, undefined, {}, then);
  const ledger = FleetLedger.start({
    broker: { url: spec.url, protocolVersion: 5, ca: spec.ca, cert: spec.cert, key: spec.key },
    dbPath: spec.dbPath,
    ackKey: readPrivateKeyPem(spec.ackKeyPem),
    logger: silentLogger(),
  });
  await ledger.whenSubscribed();
  send({ type: 'ready' });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
      return;
    }
    if (message.type !== 'stop') return;
    const stats = ledger.stats();
    ledger.stop().then(
      // Exit only once the message is out: an exit right after send() can lose it.
      () => send({ type: 'stopped', stats }, () => process.exit(0)),
      (error: unknown) => send({ type: 'failed', error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

class LedgerChild {
  private readonly child: ChildProcess;
  private readonly inbox: LedgerMessage[] = [];
  private wake: (() => void) | undefined;
  private stopping: Promise<FleetLedgerStats | undefined> | undefined;

  constructor(spec: LedgerSpec) {
    this.child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), LEDGER_FLAG], {
      env: { ...process.env, LEDGER_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: LedgerMessage) => {
      this.inbox.push(message);
      this.wake?.();
    });
    this.child.once('exit', () => this.wake?.());
  }

  async next<T extends LedgerMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<LedgerMessage, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const message = this.inbox.shift();
      if (message?.type === 'failed') throw new Error(`ledger process: ${message.error}`);
      if (message?.type === type) return message as Extract<LedgerMessage, { type: T }>;
      if (message) continue;
      if (this.child.exitCode !== null) throw new Error(`ledger process exited (${this.child.exitCode})`);
      if (performance.now() > deadline)
        throw new Error(`ledger process: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
  }

  async cpuMicros(): Promise<number> {
    this.child.send({ type: 'cpu' });
    return (await this.next('cpu', 10_000)).micros;
  }

  /** Stops the ledger (once) and returns its last counters; undefined if it was already gone. */
  stop(): Promise<FleetLedgerStats | undefined> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<FleetLedgerStats | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' });
    try {
      return (await this.next('stopped', 10_000)).stats;
    } finally {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(timer);
      }
    }
  }
}

// ------------------------------------------------------------------ measurement (kiosk process)

/**
 * Commits `count` payments through the journal's own API. They are written on tmpfs where
 * there is one (a disk sync per write would make this setup take minutes) and the file is
 * then copied to `path`, so the drain itself pays real disk syncs.
 */
function buildJournal(path: string, kioskId: string, count: number): void {
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/kioskd-outbox-drain-') : undefined;
  const buildPath = shm === undefined ? path : join(shm, 'journal.sqlite');
  try {
    const journal = Journal.open({ path: buildPath, kioskId, logger: silentLogger() });
    try {
      makePayments(journal, count);
    } finally {
      journal.close();
    }
    // A clean close checkpoints the WAL into the main file, which is then the whole journal.
    if (buildPath !== path) copyFileSync(buildPath, path);
  } finally {
    if (shm !== undefined) rmSync(shm, { recursive: true, force: true });
  }
}

type Hooked = 'pendingPayloads' | 'markDelivered';

/** Calls `after` with the time after every call of `journal.outbox[method]` (the journal's own timing kept). */
function afterEachCall<K extends Hooked>(journal: Journal, method: K, after: (at: number) => void): void {
  const outbox = journal.outbox;
  const original = (outbox[method] as (...a: unknown[]) => unknown).bind(outbox);
  (outbox as unknown as Record<K, (...a: unknown[]) => unknown>)[method] = (...args: unknown[]) => {
    const at = performance.now();
    try {
      return original(...args);
    } finally {
      after(at);
    }
  };
}

function makePayments(journal: Journal, count: number): void {
  for (let i = 0; i < count; i++) {
    const tx = journal.transactions.open({ account: '13800138000', limits: { maxAmount: 100_000 } });
    const noteId = journal.notes.recordEscrowIntent({
      txId: tx.txId,
      device: 'cashAcceptor',
      escrowCode: `e${i}`,
      denomination: 10_000,
    });
    journal.notes.commitCredit({ noteId });
    journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: true });
  }
}

/** The text of a payment as the journal freezes it, for the raw publisher to send at the same size. */
function paymentPayloadText(path: string): string {
  const journal = Journal.open({ path, kioskId: KIOSK, logger: silentLogger() });
  try {
    makePayments(journal, 1);
    return journal.outbox.pendingPayloads({ limit: 1 })[0]!.payload;
  } finally {
    journal.close();
  }
}

/**
 * Publishes `count` QoS 1 messages at once and waits for every PUBACK: messages per second,
 * and the broker's CPU per message meanwhile.
 */
async function rawPublishRate(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  topic: string,
  payload: string,
  count: number,
  brokerCpuMicros: () => number,
): Promise<{ rate: number; brokerUs: number; publisherUs: number }> {
  const client = await mqtt.connectAsync(url, {
    ...tls,
    clientId: `raw-${KIOSK}`,
    protocolVersion: 5,
    reconnectPeriod: 0,
    clean: true,
  });
  (client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
  try {
    const start = performance.now();
    const brokerBefore = brokerCpuMicros();
    const publisherBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: count }, () => client.publishAsync(topic, payload, { qos: 1 })));
    const rate = (count / (performance.now() - start)) * 1000;
    const publisher = process.cpuUsage(publisherBefore);
    return {
      rate,
      brokerUs: (brokerCpuMicros() - brokerBefore) / count,
      publisherUs: (publisher.user + publisher.system) / count,
    };
  } finally {
    await client.endAsync();
  }
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

async function settleAll(steps: Array<() => unknown>): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

interface DrainRound {
  rate: number;
  drainMs: number;
  kioskUs: number;
  ledgerUs: number;
  brokerUs: number;
  delivered: number;
  maxAttempts: number;
}

interface DrainSetting {
  scratch: string;
  broker: MosquittoBroker;
  pki: TestPki;
  ledger: LedgerChild;
  brokerCpu: () => number;
  maxInFlight: number | undefined;
  ledgerPublicKeyPem: string;
}

/**
 * One kiosk (its own id, certificate and journal of `payments` unsent payments) connects and
 * drains its outbox into the ledger: payments per second from the link's first outbox read
 * until the journal write that marks the last one delivered, and each process's CPU meanwhile.
 */
async function drainRound(setting: DrainSetting, kioskId: string, payments: number): Promise<DrainRound> {
  const dataDir = join(setting.scratch, kioskId);
  mkdirSync(dataDir);
  buildJournal(join(dataDir, 'journal.sqlite'), kioskId, payments);
  const journal = Journal.open({ path: join(dataDir, 'journal.sqlite'), kioskId, logger: silentLogger() });
  let link: Awaited<ReturnType<typeof startFleetLink>>['link'] | undefined;
  try {
    const identity = setting.pki.client(kioskId);
    const config = kioskConfigSchema.parse({
      kioskId,
      dataDir,
      fleet: {
        broker: {
          url: setting.broker.tlsUrl,
          protocolVersion: 5,
          ca: setting.pki.ca,
          cert: identity.cert,
          key: identity.key,
        },
        ledger: { publicKeys: [{ id: 'bench-ledger', key: setting.ledgerPublicKeyPem }] },
        ...(setting.maxInFlight === undefined ? {} : { outbox: { maxInFlight: setting.maxInFlight } }),
      },
    });
    let startedAt: number | undefined;
    let endedAt: number | undefined;
    let kioskCpuAtStart = process.cpuUsage();
    let brokerCpuAtStart = setting.brokerCpu();
    let kioskCpu = { user: 0, system: 0 };
    let brokerCpuUs = 0;
    afterEachCall(journal, 'pendingPayloads', (at) => {
      if (startedAt !== undefined) return;
      startedAt = at;
      kioskCpuAtStart = process.cpuUsage();
      brokerCpuAtStart = setting.brokerCpu();
    });
    // The drain ends with the journal write that marks the last payment delivered: looked for
    // after each such write (a few dozen in a drain), not by polling, which would cost the
    // kiosk's loop what it measures.
    afterEachCall(journal, 'markDelivered', () => {
      if (endedAt !== undefined || journal.outbox.pending({ limit: 1 }).length > 0) return;
      endedAt = performance.now();
      kioskCpu = process.cpuUsage(kioskCpuAtStart);
      brokerCpuUs = setting.brokerCpu() - brokerCpuAtStart;
    });
    const ledgerCpuBefore = await setting.ledger.cpuMicros();
    link = startFleetLink({
      config: { kioskId, dataDir, fleet: config.fleet },
      journal,
      logger: silentLogger(),
    }).link;
    const deadline = performance.now() + 120_000;
    while (startedAt === undefined || endedAt === undefined) {
      if (performance.now() > deadline) throw new Error(`${kioskId}: the outbox did not drain within 120 s`);
      await new Promise((r) => setTimeout(r, WATCH_MS));
    }
    // Read at once: the ledger has nothing more to do for this kiosk (a few ms of idle at most).
    const ledgerUs = (await setting.ledger.cpuMicros()) - ledgerCpuBefore;
    const drainMs = endedAt - startedAt;
    const outbox = journal.outbox.stats();
    await link.stop();
    link = undefined;
    return {
      rate: (payments / drainMs) * 1000,
      drainMs,
      kioskUs: (kioskCpu.user + kioskCpu.system) / payments,
      ledgerUs: ledgerUs / payments,
      brokerUs: brokerCpuUs / payments,
      delivered: outbox.delivered,
      maxAttempts: outbox.maxPendingAttempts,
    };
  } finally {
    await settleAll([async () => link?.stop(), () => journal.close()]);
  }
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run({ smoke = false }: { smoke?: boolean } = {}): Promise<BenchResult> {
  const plan = smoke ? SMOKE : FULL;
  const scratch = mkdtempSync(join(tmpdir(), 'kioskd-outbox-drain-'));
  const pki = createTestPki();
  const broker = await startMosquitto({ pki });
  const ackKeys = generateFleetKeyPair();
  const ledger = new LedgerChild({
    url: broker.tlsUrl,
    ca: pki.ca,
    cert: pki.fleet.cert,
    key: pki.fleet.key,
    dbPath: join(scratch, 'ledger.sqlite'),
    ackKeyPem: ackKeys.privateKeyPem,
  });
  try {
    const payload = paymentPayloadText(join(scratch, 'sample.sqlite'));
    const identity = pki.client(`${KIOSK}-RAW`);
    const rawTopic = kioskTopics(`${KIOSK}-RAW`).alert;
    await ledger.next('ready', 30_000);
    const ticksPerSecond = clockTicksPerSecond();
    const brokerCpu = () => cpuMicros(broker.pid ?? 0, ticksPerSecond);
    const setting: DrainSetting = {
      scratch,
      broker,
      pki,
      ledger,
      brokerCpu,
      maxInFlight: plan.maxInFlight,
      ledgerPublicKeyPem: ackKeys.publicKeyPem,
    };
    const rawRound = () =>
      rawPublishRate(broker.tlsUrl, pki.tlsFiles(identity), rawTopic, payload, plan.payments, brokerCpu);

    // Both sides warm up once with a round of the same size (a cold mqtt.js, link and ledger
    // run at about half their warm rate; a fleet's ledger and a kiosk's daemon are long-running),
    // then alternate, so a change in the machine's load meets both.
    await rawRound();
    await drainRound(setting, `${KIOSK}-WARM`, plan.payments);
    const raw: Awaited<ReturnType<typeof rawRound>>[] = [];
    const drains: DrainRound[] = [];
    for (let i = 0; i < plan.rounds; i++) {
      raw.push(await rawRound());
      drains.push(await drainRound(setting, `${KIOSK}-${i + 1}`, plan.payments));
    }
    const stats = await ledger.stop();
    const rawRate = median(raw.map((r) => r.rate));
    const drainRate = median(drains.map((d) => d.rate));
    const value = drainRate / rawRate;
    const expectedStored = plan.payments * (plan.rounds + 1);
    const allDelivered = drains.every((d) => d.delivered === plan.payments);
    return {
      name: 'outbox-drain',
      figures: {
        paymentsPerRound: plan.payments,
        rounds: plan.rounds,
        payloadBytes: Buffer.byteLength(payload),
        maxInFlight: plan.maxInFlight ?? kioskConfigSchema.parse({ kioskId: KIOSK }).fleet.outbox.maxInFlight,
        drainPaymentsPerSec: round(drainRate),
        drainRounds: drains.map((d) => round(d.rate)).join(' / '),
        drainMs: drains.map((d) => round(d.drainMs)).join(' / '),
        // CPU per payment over each drain (median): steadier than the rates on a shared machine.
        kioskCpuUsPerPayment: round(median(drains.map((d) => d.kioskUs)), 1),
        ledgerCpuUsPerPayment: round(median(drains.map((d) => d.ledgerUs)), 1),
        // The broker's from /proc, at the resolution of a clock tick (10 ms): a few µs either way.
        brokerCpuUsPerPayment: round(median(drains.map((d) => d.brokerUs)), 1),
        rawQos1PerSec: round(rawRate),
        rawRounds: raw.map((r) => round(r.rate)).join(' / '),
        rawPublisherCpuUsPerMessage: round(median(raw.map((r) => r.publisherUs)), 1),
        rawBrokerCpuUsPerMessage: round(median(raw.map((r) => r.brokerUs)), 1),
        delivered: drains.map((d) => d.delivered).join(' / '),
        maxAttempts: Math.max(...drains.map((d) => d.maxAttempts)),
        ledgerStored: stats?.stored ?? -1,
        ledgerDuplicates: stats?.duplicates ?? -1,
        ledgerAckMessages: stats?.ackMessages ?? -1,
        broker: 'mosquitto (TLS, client certificates, seeds ACL)',
        mode: smoke ? 'smoke' : 'full',
      },
      ratio: {
        name: 'drain payments/s ÷ raw QoS 1 publishes/s (medians)',
        value: round(value, 3),
        target: `>= ${TARGET}`,
        pass: value >= TARGET && allDelivered && stats?.stored === expectedStored && stats.duplicates === 0,
      },
    };
  } finally {
    // Every step runs even if one fails: a live broker or ledger process would keep this
    // process (and the bench runner) from ever exiting.
    await settleAll([
      () => ledger.stop(),
      () => broker.dispose(),
      () => pki.remove(),
      () => rmSync(scratch, { recursive: true, force: true }),
    ]);
  }
}

if (process.argv.includes(LEDGER_FLAG)) {
  ledgerProcess().catch((error: unknown) => {
    process.send?.({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  run({ smoke: process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1' })
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(
        `outbox-drain bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
