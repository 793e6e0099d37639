import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFormat0Block } from '../../simulators/epp/crypto/pin-block.js';
import { eppSimulatorFactory } from '../../simulators/epp/epp-factory.js';
import { openPtyPair, type PtyPair } from '../../simulators/harness/pty-pair.js';
import { attachToSerialPath, type SerialEndpoint } from '../../simulators/harness/serial-endpoint.js';
import { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { type RunningAccountService, startAccountServer } from '../../src/accounts/account-server.js';
import { parseAccountServiceConfig } from '../../src/accounts/account-service-config.js';
import { inProcessCreditSink } from '../../src/accounts/credit-sinks.js';
import type { FleetLedger } from '../../src/fleet/ledger.js';
import { silentLogger } from '../../src/log.js';
import { hashServicePassword } from '../../src/security/password-hash.js';
import type { Json } from '../api/kiosk-daemon-rig.js';
import { TEST_LEDGER_KEY } from '../fleet/ledger-test-keys.js';
import { type E2eRig, startLedger, startRig } from '../fleet-e2e/fleet-e2e-rig.js';
import { connectWithCertificate, type RecordingClient, record } from '../fleet-e2e/raw-mqtt.js';
import { CLI_ENTRY, collectOutput, exitOf, REPO_ROOT } from '../helpers/cli-process.js';
import { requireTool } from '../helpers/require-tool.js';

/*
 * Invariant 3 of DESIGN.md, searched for rather than assumed: a balance query runs the whole
 * path (the real daemon as `kioskd run` in its own process, the EPP simulator on a real pty in
 * this process, the account service holding the BDK here too, Mosquitto, the ledger) with a
 * canary service password. Then every place the daemon could have put it is read back: its log
 * output at trace level, the journal and WAL files' bytes, every MQTT message on the kiosk's
 * topics, every API and SSE byte, and a heap snapshot of the daemon process. Neither the PIN
 * (as digits, adjacent to anything), nor its clear format-0 block, nor the encrypted PIN block
 * the pad built may be in any of them.
 */

/** 12 digits, so no run of digits elsewhere in 50 MB of heap strings matches by chance. */
const CANARY_PIN = '739158260417';
const CANARY_ACCOUNT = '13912345678';
const CANARY_BALANCE_FEN = 43_21;
const TOKEN = 'canary-accounts-token-0001';
const TDES_TEST_BDK = '0123456789ABCDEFFEDCBA9876543210';
const AES_TEST_BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir`, by path, as bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, readFileSync(path));
  }
  return out;
}

/**
 * Where a secret shows up in `haystack`: as text (either hex case) or as raw bytes.
 * Returns a description per hit, empty when clean.
 */
function findSecrets(
  where: string,
  haystack: Buffer | string,
  secrets: Record<string, string | Buffer>,
): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const hits: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const needles =
      typeof secret === 'string'
        ? [...new Set([secret, secret.toLowerCase(), secret.toUpperCase()])].map((f) =>
            Buffer.from(f, 'utf8'),
          )
        : [secret];
    for (const needle of needles) {
      const at = bytes.indexOf(needle);
      if (at >= 0) hits.push(`${name} in ${where} at byte ${at}`);
    }
  }
  return hits;
}

describe('canary: no clear PIN or PIN block leaves the pad for anywhere the daemon writes', () => {
  let rig: E2eRig;
  let accounts: RunningAccountService;
  let ledger: FleetLedger;
  let capture: RecordingClient;
  let pty: PtyPair;
  let pad: SimulatorHost;
  let endpoint: SerialEndpoint;
  let daemon: ChildProcess;
  let output: { stdout: string; stderr: string };
  let proxy: ReturnType<typeof createServer>;
  /** What the daemon sent the account service: the PIN block and KSN, as the HSM got them. */
  const forwarded: Array<{ pinBlock: string; ksn: string }> = [];
  let dataDir: string;
  let snapshotDir: string;
  let apiUrl: string;

  beforeAll(async () => {
    requireTool('socat');
    rig = await startRig();
    dataDir = rig.subdir('kiosk');
    snapshotDir = rig.subdir('heap');

    const accountConfig = parseAccountServiceConfig(
      {
        token: TOKEN,
        db: join(rig.subdir('accounts'), 'accounts.sqlite'),
        hsm: { tdesBdk: TDES_TEST_BDK, aesBdk: AES_TEST_BDK },
        accounts: [
          {
            account: CANARY_ACCOUNT,
            balanceFen: CANARY_BALANCE_FEN,
            passwordHash: await hashServicePassword(Buffer.from(CANARY_PIN)),
          },
        ],
      },
      'canary test',
    );
    accounts = await startAccountServer(accountConfig, {
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger(),
    });
    // The HSM's view of the request, kept to search for the block the pad built.
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/v1/balance-queries') {
          const parsed = JSON.parse(body.toString('utf8')) as { pinBlock: string; ksn: string };
          forwarded.push({ pinBlock: parsed.pinBlock, ksn: parsed.ksn });
        }
        const upstream = httpRequest(
          `${accounts.url}${req.url}`,
          { method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

    ledger = startLedger(rig, join(rig.subdir('ledger'), 'ledger.sqlite'), {
      creditSink: inProcessCreditSink(accounts.service),
    });
    capture = record(await connectWithCertificate(rig.broker, rig.pki, rig.pki.fleet));
    await capture.client.subscribeAsync('kiosk/#', { qos: 1 });

    pty = await openPtyPair();
    pad = new SimulatorHost(eppSimulatorFactory.create({ timingPreset: 'fast' }), {
      name: 'epp',
      wireTime: true,
      seed: 11,
      logger: silentLogger(),
    });
    endpoint = await attachToSerialPath(pad, pty.devicePath, silentLogger());

    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}/api/v1`;
    const identity = rig.pki.client('canary-0001');
    const configPath = join(rig.dir, 'kiosk.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        kioskId: 'canary-0001',
        dataDir,
        // Everything the daemon can say, said: the most talkative level, and byte traces asked for
        // (the pad's wiring refuses them; the search shows it did).
        log: { level: 'trace', byteTrace: true },
        devices: {
          cashAcceptor: { port: 'sim:id003' },
          pinPad: { enabled: true, port: pty.hostPath },
        },
        simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
        api: { port: apiPort },
        balanceQuery: {
          enabled: true,
          accountService: { url: proxyUrl, token: TOKEN },
          pinEntry: { minLength: 12, maxLength: 12 },
        },
        fleet: {
          enabled: true,
          broker: {
            url: rig.broker.tlsUrl,
            protocolVersion: 5,
            ca: rig.pki.ca,
            cert: identity.cert,
            key: identity.key,
          },
          ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
        },
      }),
    );
    daemon = spawn(
      process.execPath,
      [
        `--diagnostic-dir=${snapshotDir}`,
        '--heapsnapshot-signal=SIGUSR2',
        '--import',
        'tsx',
        CLI_ENTRY,
        'run',
        '--config',
        configPath,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    output = collectOutput(daemon);
    await waitUntil(
      async () => {
        if (daemon.exitCode !== null)
          throw new Error(`daemon exited ${daemon.exitCode}: ${output.stderr.slice(-2000)}`);
        try {
          const state = await api('GET', '/state');
          return state.status === 200 && state.body.kiosk.mode === 'inService' ? true : undefined;
        } catch {
          return undefined;
        }
      },
      'the daemon in service',
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGKILL');
      await exitOf(daemon);
    }
    await capture?.end();
    await ledger?.stop();
    await endpoint?.close();
    await pad?.close();
    await pty?.close();
    await new Promise((resolve) => proxy?.close(resolve));
    await accounts?.stop();
    await rig?.dispose();
  });

  /** Every API body the daemon answered, searched at the end. */
  const apiBodies: string[] = [];
  async function api(method: string, path: string, body?: object): Promise<{ status: number; body: Json }> {
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    apiBodies.push(text);
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  it('runs a balance query with the canary password, then finds it nowhere', async () => {
    // The screen's event stream, read raw for the whole query.
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const events = new AbortController();
    const sse = await fetch(`${apiUrl}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: events.signal,
    });
    let sseText = '';
    const sseDone = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) {
          sseText += decoder.decode(chunk, { stream: true });
        }
      } catch {
        // aborted at the end
      }
    })();

    expect((await api('POST', '/balance-queries', {})).status).toBe(201);
    expect((await api('PUT', '/balance-queries/current/account', { account: CANARY_ACCOUNT })).status).toBe(
      200,
    );
    await waitUntil(
      () => ((pad.control({ action: 'state' }) as { entry: string }).entry === 'pinEntry' ? true : undefined),
      'the pad to take the PIN',
    );
    pad.control({ action: 'keys.press', keys: `${CANARY_PIN}E` });
    const shown = await waitUntil(async () => {
      const { body } = await api('GET', '/balance-queries/current');
      return body.state === 'showingBalance' || body.state === 'ended' ? body : undefined;
    }, 'the balance');
    // The path worked: the account service opened the pad's block to the canary password.
    expect(shown).toMatchObject({
      state: 'showingBalance',
      balanceFen: CANARY_BALANCE_FEN,
      digitsEntered: 12,
    });
    expect(forwarded).toHaveLength(1);
    const [{ pinBlock, ksn }] = forwarded as [{ pinBlock: string; ksn: string }];
    expect(pinBlock).toMatch(/^[0-9a-fA-F]{16}$/);
    expect(sseText).toContain('"digitsEntered":12');

    // Let the link publish health and status, so the capture holds what the kiosk sends.
    await capture.waitFor((m) => m.topic.includes('canary-0001'), 15_000);

    // The daemon's heap, while it still holds whatever it kept.
    const before = new Set(readdirSync(snapshotDir));
    daemon.kill('SIGUSR2');
    const snapshotPath = await waitUntil(
      () => {
        const made = readdirSync(snapshotDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
        if (made === undefined) return undefined;
        const path = join(snapshotDir, made);
        try {
          JSON.parse(readFileSync(path, 'utf8'));
          return path;
        } catch {
          return undefined; // still being written
        }
      },
      'the heap snapshot',
      60_000,
    );
    const heap = JSON.parse(readFileSync(snapshotPath, 'utf8')) as { strings: string[] };
    // Only the heap's strings: the node and edge tables are numbers, where 12 digits can recur.
    const heapStrings = heap.strings.join('\n');
    expect(statSync(snapshotPath).size).toBeGreaterThan(1_000_000);
    expect(heapStrings).toContain(CANARY_ACCOUNT.slice(0, 3)); // the search reads real heap text

    const filesWhileRunning = filesUnder(dataDir);
    events.abort();
    await sseDone;
    daemon.kill('SIGTERM');
    expect((await exitOf(daemon)).code).toBe(0);
    const filesAfterStop = filesUnder(dataDir);

    const clearBlock = Buffer.from(buildFormat0Block(CANARY_PIN, CANARY_ACCOUNT));
    const secrets = {
      pin: CANARY_PIN,
      clearFormat0Block: clearBlock.toString('hex'),
      clearFormat0Bytes: clearBlock,
      pinBlock,
      pinBlockBytes: Buffer.from(pinBlock, 'hex'),
    };
    const transportSecrets = { ...secrets, ksn, ksnBytes: Buffer.from(ksn, 'hex') };
    const hits = [
      ...findSecrets('the daemon log (stdout)', output.stdout, transportSecrets),
      ...findSecrets('the daemon stderr', output.stderr, transportSecrets),
      ...[...filesWhileRunning].flatMap(([path, bytes]) =>
        findSecrets(`${path} (running)`, bytes, transportSecrets),
      ),
      ...[...filesAfterStop].flatMap(([path, bytes]) =>
        findSecrets(`${path} (stopped)`, bytes, transportSecrets),
      ),
      ...capture.received.flatMap((m) => findSecrets(`MQTT ${m.topic}`, m.payload, transportSecrets)),
      ...apiBodies.flatMap((body, i) => findSecrets(`API answer ${i}`, body, transportSecrets)),
      ...findSecrets('the SSE stream', sseText, transportSecrets),
      ...findSecrets('the heap snapshot strings', heapStrings, secrets),
    ];
    expect(hits).toEqual([]);
    // The search had something to search: trace-level logs, journal bytes, kiosk messages.
    expect(output.stdout).toContain('PIN block received');
    expect([...filesWhileRunning.keys()].some((p) => p.endsWith('-wal'))).toBe(true);
    expect(capture.received.length).toBeGreaterThan(0);
  }, 180_000);
});
