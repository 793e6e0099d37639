/**
 * Outbox drain rate: a kiosk whose journal holds N unsent payments (an outage just ended)
 * connects, and the real fleet link sends them through a real Mosquitto (mutual TLS, the
 * seeds' ACL) to the real ledger, which stores each durably and acknowledges it; the clock
 * runs from the link's first outbox read (the first thing it does once connected, before its
 * first publish) until the journal has every payment marked delivered by a ledger ack. Beside
 * it, in the same run and on the same broker and TLS listener, raw mqtt.js QoS 1 throughput
 * from the same kiosk identity with the same socket settings (no Nagle, as the link): publish
 * as many messages as there are payments, each exactly a payment's size, and await every
 * PUBACK (to a topic nobody reads, so the broker only has to take them).
 *
 * The drain does strictly more per payment than the raw publish (journal read and write,
 * delivery to the ledger, its SQLite commit, the ack back), and keeps at most
 * `fleet.outbox.maxInFlight` (the default) unacknowledged. The ratio drain/raw is judged
 * against ≥ 0.5: the link's bookkeeping and the application ack may cost at most half of what
 * the broker alone allows. The ledger runs in its own process, as it does in a fleet; the link
 * and the raw publisher share the kiosk's process.
 *
 * `npx tsx bench/outbox-drain.bench.ts [--smoke]` prints the result as JSON.
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
import { kioskTopics } from '../src/fleet-protocol/index.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/log.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { createTestPki } from '../test/helpers/pki.js';
import type { BenchResult } from './bench-result.js';

const TARGET = 0.5;
const KIOSK = 'K-DRAIN';
const LEDGER_FLAG = '--ledger-process';
/**
 * Both sides move the same number of messages. Raw rounds are short (a fraction of a second
 * each): several, the first after a warm-up round of the same size (a cold mqtt.js measured
 * half its warm rate), and the median.
 */
const FULL = { payments: 10_000, rawRounds: 3 };
const SMOKE = { payments: 500, rawRounds: 1 };
/** How often the end of the drain is looked for; a cheap indexed read on the kiosk's own loop. */
const DRAIN_POLL_MS = 1;

interface LedgerSpec {
  url: string;
  ca: string;
  cert: string;
  key: string;
  dbPath: string;
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
function buildJournal(path: string, count: number): void {
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/kioskd-outbox-drain-') : undefined;
  const buildPath = shm === undefined ? path : join(shm, 'journal.sqlite');
  try {
    const journal = Journal.open({ path: buildPath, kioskId: KIOSK, logger: silentLogger() });
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

/** Calls `onFirst` with the time of the first call of `journal[method]`. */
function stampFirstCall<K extends 'outboxPendingPayloads'>(
  journal: Journal,
  method: K,
  onFirst: (at: number) => void,
): void {
  const original = journal[method].bind(journal) as Journal[K];
  let stamped = false;
  journal[method] = ((...args: Parameters<Journal[K]>) => {
    if (!stamped) {
      stamped = true;
      onFirst(performance.now());
    }
    return (original as (...a: Parameters<Journal[K]>) => ReturnType<Journal[K]>)(...args);
  }) as Journal[K];
}

function makePayments(journal: Journal, count: number): void {
  for (let i = 0; i < count; i++) {
    const tx = journal.openTransaction({ account: '13800138000', limits: { maxAmount: 100_000 } });
    const noteId = journal.recordEscrowIntent({
      txId: tx.txId,
      device: 'cashAcceptor',
      escrowCode: `e${i}`,
      denomination: 10_000,
    });
    journal.commitCredit({ noteId });
    journal.commitPayment({ txId: tx.txId, kind: 'complete', receipt: true });
  }
}

/** Publishes `count` QoS 1 messages at once and waits for every PUBACK; messages per second. */
async function rawPublishRate(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  topic: string,
  payload: string,
  count: number,
): Promise<number> {
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
    await Promise.all(Array.from({ length: count }, () => client.publishAsync(topic, payload, { qos: 1 })));
    return (count / (performance.now() - start)) * 1000;
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

export async function run({ smoke = false }: { smoke?: boolean } = {}): Promise<BenchResult> {
  const plan = smoke ? SMOKE : FULL;
  const scratch = mkdtempSync(join(tmpdir(), 'kioskd-outbox-drain-'));
  const pki = createTestPki();
  const broker = await startMosquitto({ pki });
  const dataDir = join(scratch, 'kiosk');
  mkdirSync(dataDir);
  buildJournal(join(dataDir, 'journal.sqlite'), plan.payments);
  const journal = Journal.open({
    path: join(dataDir, 'journal.sqlite'),
    kioskId: KIOSK,
    logger: silentLogger(),
  });
  const identity = pki.client(KIOSK);
  const ledger = new LedgerChild({
    url: broker.tlsUrl,
    ca: pki.ca,
    cert: pki.fleet.cert,
    key: pki.fleet.key,
    dbPath: join(scratch, 'ledger.sqlite'),
  });
  let link: Awaited<ReturnType<typeof startFleetLink>>['link'] | undefined;
  try {
    const payload = JSON.stringify(journal.outboxPending({ limit: 1 })[0]!.payload);
    const rawTopic = kioskTopics(KIOSK).alert;
    await ledger.next('ready', 30_000);

    const rawRound = (count: number) =>
      rawPublishRate(broker.tlsUrl, pki.tlsFiles(identity), rawTopic, payload, count);
    await rawRound(plan.payments);
    const raw: number[] = [await rawRound(plan.payments)];

    const config = kioskConfigSchema.parse({
      kioskId: KIOSK,
      dataDir,
      fleet: {
        broker: {
          url: broker.tlsUrl,
          protocolVersion: 5,
          ca: pki.ca,
          cert: identity.cert,
          key: identity.key,
        },
      },
    });
    let startedAt: number | undefined;
    let kioskCpuAtStart = process.cpuUsage();
    stampFirstCall(journal, 'outboxPendingPayloads', (at) => {
      startedAt = at;
      kioskCpuAtStart = process.cpuUsage();
    });
    const ledgerCpuBefore = await ledger.cpuMicros();
    link = startFleetLink({
      config: { kioskId: KIOSK, dataDir, fleet: config.fleet },
      journal,
      logger: silentLogger(),
    }).link;
    const deadline = performance.now() + 120_000;
    while (startedAt === undefined || journal.outboxPending({ limit: 1 }).length > 0) {
      if (performance.now() > deadline) throw new Error('the outbox did not drain within 120 s');
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    const drainMs = performance.now() - startedAt;
    const drainRate = (plan.payments / drainMs) * 1000;
    const kioskCpu = process.cpuUsage(kioskCpuAtStart);
    const ledgerCpu = (await ledger.cpuMicros()) - ledgerCpuBefore;
    const outbox = journal.outboxStats();
    await link.stop();
    link = undefined;

    for (let i = 1; i < plan.rawRounds; i++) raw.push(await rawRound(plan.payments));
    const rawRate = [...raw].sort((a, b) => a - b)[Math.floor(raw.length / 2)]!;
    const stats = await ledger.stop();
    const value = drainRate / rawRate;
    return {
      name: 'outbox-drain',
      figures: {
        payments: plan.payments,
        payloadBytes: Buffer.byteLength(payload),
        maxInFlight: config.fleet.outbox.maxInFlight,
        drainMs: round(drainMs),
        drainPaymentsPerSec: round(drainRate),
        // CPU per payment over the drain: steadier than the rates on a shared machine.
        kioskCpuUsPerPayment: round((kioskCpu.user + kioskCpu.system) / plan.payments, 1),
        ledgerCpuUsPerPayment: round(ledgerCpu / plan.payments, 1),
        rawQos1PerSec: round(rawRate),
        rawRounds: raw.map((r) => round(r)).join(' / '),
        delivered: outbox.delivered,
        maxAttempts: outbox.maxPendingAttempts,
        ledgerStored: stats?.stored ?? -1,
        ledgerDuplicates: stats?.duplicates ?? -1,
        broker: 'mosquitto (TLS, client certificates, seeds ACL)',
        mode: smoke ? 'smoke' : 'full',
      },
      ratio: {
        name: 'drain payments/s ÷ raw QoS 1 publishes/s',
        value: round(value, 3),
        target: `>= ${TARGET}`,
        pass: value >= TARGET && outbox.delivered === plan.payments && stats?.stored === plan.payments,
      },
    };
  } finally {
    // Every step runs even if one fails: a live broker or ledger process would keep this
    // process (and the bench runner) from ever exiting.
    await settleAll([
      async () => link?.stop(),
      () => ledger.stop(),
      () => journal.close(),
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
