import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { kioskConfigSchema } from '../../src/config/index.js';
import type { EmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import type { FleetLink, KioskStatusBoard } from '../../src/fleet-link/index.js';
import { startFleetLink } from '../../src/fleet-link/start-fleet-link.js';
import { commandResultSchema, kioskTopics } from '../../src/fleet-protocol/index.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { makePayments } from '../fleet-link/fleet-link-rig.js';
import { fleetToolsConfig, scratchDir, startTestBroker, waitFor } from './fleet-test-kit.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/*
 * `kioskd fleet` run in-process (main() with captured output), against the embedded broker and
 * the real kiosk fleet link: keygen writes a key the kiosk trusts, cmd signs and sends, the link
 * verifies and answers, and the exit status says how it went.
 */

async function kioskd(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n'), errLines: err };
}

const KIOSK = 'K-7001';
let broker: EmbeddedBroker;
let dir: ReturnType<typeof scratchDir>;
let journal: Journal;
let link: FleetLink;
let board: KioskStatusBoard | undefined;
let keyPath: string;
let strangerKeyPath: string;

beforeAll(async () => {
  broker = await startTestBroker();
  dir = scratchDir('fleet-cli');
  const keygen = await kioskd('fleet', 'keygen', '--out', join(dir.path, 'keys'), '--key-id', 'ops-1');
  expect(keygen.code).toBe(0);
  keyPath = join(dir.path, 'keys', 'fleet-ed25519.pem');
  expect((await kioskd('fleet', 'keygen', '--out', join(dir.path, 'stranger'))).code).toBe(0);
  strangerKeyPath = join(dir.path, 'stranger', 'fleet-ed25519.pem');

  journal = Journal.open({ path: join(dir.path, 'journal.sqlite'), kioskId: KIOSK, logger: silentLogger() });
  const config = kioskConfigSchema.parse({
    kioskId: KIOSK,
    dataDir: dir.path,
    fleet: {
      broker: { url: broker.url, protocolVersion: 4, ...broker.credentialsFor(KIOSK) },
      commands: { publicKeys: [{ id: 'ops-1', key: keygen.out }] },
      ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
    },
  });
  ({ link, board } = startFleetLink({
    config: { kioskId: KIOSK, dataDir: dir.path, fleet: config.fleet },
    journal,
    logger: silentLogger(),
  }));
  await link.waitForConnection(5000);
});

afterAll(async () => {
  await link?.stop();
  journal?.close();
  await broker?.close();
  dir?.remove();
});

const connection = () => ['--config', fleetToolsConfig(broker, dir.path)];

describe('kioskd fleet keygen', () => {
  it('writes the private key 0600 and the public key, prints the public PEM, and never overwrites', async () => {
    const keys = join(dir.path, 'keys');
    expect(statSync(join(keys, 'fleet-ed25519.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(keys, 'fleet-ed25519.pub.pem')).mode & 0o777).toBe(0o644);
    const before = statSync(join(keys, 'fleet-ed25519.pem')).mtimeMs;
    const again = await kioskd('fleet', 'keygen', '--out', keys);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists');
    expect(statSync(join(keys, 'fleet-ed25519.pem')).mtimeMs).toBe(before);
  });

  it('prints a config snippet with the key id', async () => {
    const result = await kioskd('fleet', 'keygen', '--out', join(dir.path, 'third'), '--key-id', 'ops-9');
    expect(result.out).toMatch(/^-----BEGIN PUBLIC KEY-----\n.+\n-----END PUBLIC KEY-----$/);
    expect(result.err).toContain('- id: ops-9');
  });
});

describe('kioskd fleet cmd', () => {
  it('runs a valid command on the kiosk and exits 0 with its result', async () => {
    const result = await kioskd(
      'fleet',
      'cmd',
      KIOSK,
      'setMode',
      'mode=outOfService',
      '--key',
      keyPath,
      ...connection(),
    );
    expect(result.code).toBe(0);
    const printed = commandResultSchema.parse(JSON.parse(result.out));
    expect(printed).toMatchObject({ kioskId: KIOSK, status: 'ok' });
    expect(board?.mode()).toBe('outOfService');
    const status = await kioskd('fleet', 'cmd', KIOSK, 'status', '--key', keyPath, ...connection());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out).cmdId).not.toBe(printed.cmdId);
  });

  it('exits 1 and prints the rejection when the kiosk does not trust the key', async () => {
    const result = await kioskd('fleet', 'cmd', KIOSK, 'status', '--key', strangerKeyPath, ...connection());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ status: 'rejected', error: { reason: 'badSignature' } });
  });

  it('exits 1 when no result comes in time', async () => {
    const result = await kioskd(
      'fleet',
      'cmd',
      'K-9999',
      'status',
      '--key',
      keyPath,
      '--timeout',
      '300',
      ...connection(),
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain('no result from K-9999 within 300 ms');
    expect(result.out).toBe('');
  });

  it('ignores results of other commands on the same topic', async () => {
    const other = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      ...broker.credentialsFor('K-8000'),
    });
    const stray = {
      v: 1,
      kioskId: 'K-8000',
      ts: new Date().toISOString(),
      cmdId: 'someone-elses-command',
      status: 'ok',
    };
    const timer = setInterval(
      () => other.publish(kioskTopics('K-8000').cmdResult, JSON.stringify(stray)),
      20,
    );
    const result = await kioskd(
      'fleet',
      'cmd',
      'K-8000',
      'status',
      '--key',
      keyPath,
      '--timeout',
      '300',
      ...connection(),
    );
    clearInterval(timer);
    await other.endAsync();
    expect(result.code).toBe(1);
  });

  it.each([
    [['fleet'], 'missing subcommand'],
    [['fleet', 'bogus'], 'unknown subcommand "bogus"'],
    [['fleet', 'cmd', KIOSK], 'missing kioskId and action'],
    [['fleet', 'cmd', KIOSK, 'selfDestruct'], 'unknown action "selfDestruct"'],
    [['fleet', 'cmd', KIOSK, 'setMode', 'mode=sideways'], 'setMode mode'],
    [['fleet', 'cmd', KIOSK, 'setMode', 'mode'], 'expected key=value or key:=json, got "mode"'],
    [['fleet', 'cmd', KIOSK, 'setMode', 'mode=inService', 'mode=outOfService'], 'given twice'],
    [
      ['fleet', 'cmd', KIOSK, 'status', '--broker', broker?.url ?? 'mqtt://127.0.0.1:1'],
      'missing --key FILE',
    ],
    [['fleet', 'cmd', 'bad/id', 'status'], 'is not a kiosk id'],
    [['fleet', 'cmd', KIOSK, 'status', '--timeout', 'soon'], '--timeout expects an integer'],
    [['fleet', 'view', '--protocol', '7'], '--protocol expects an integer from 4 to 5'],
    [['fleet', 'view', '--broker', 'http://x'], 'broker.url: expected a mqtt://'],
    [['fleet', 'ledger', '--frobnicate'], "Unknown option '--frobnicate'"],
    [['fleet', 'keygen', '--key-id', 'a b'], '--key-id expects'],
  ])('bad usage %j exits 2 with one line', async (argv, message) => {
    const result = await kioskd(...argv);
    expect(result.code).toBe(2);
    expect(result.errLines).toHaveLength(1);
    expect(result.err).toContain(message);
  });

  it.each([['ledger'], ['view'], ['keygen'], ['cmd']])(
    'fleet %s --help exits 0 with its usage',
    async (sub) => {
      const result = await kioskd('fleet', sub, '--help');
      expect(result.code).toBe(0);
      expect(result.out).toContain(`Usage: kioskd fleet ${sub}`);
    },
  );

  it('takes the broker and key from a fleet config file', async () => {
    const file = fleetToolsConfig(broker, dir.path, `commands:\n  privateKey: ${keyPath}\n  keyId: ops-1\n`);
    const result = await kioskd('fleet', 'cmd', KIOSK, 'journalSummary', '--config', file);
    expect(result.code).toBe(0);
    expect(result.err).toContain('signed with key ops-1');
  });

  it('reports every problem of a bad fleet config file, one line each', async () => {
    const file = join(dir.path, 'bad-fleet.yaml');
    writeFileSync(file, 'broker:\n  url: mqtt://127.0.0.1:1883\n  protocolVersion: 3\nledgr: {}\n');
    const result = await kioskd('fleet', 'view', '--config', file);
    expect(result.code).toBe(1);
    expect(result.errLines).toEqual([
      'kioskd fleet: broker.protocolVersion: expected 4 (MQTT 3.1.1) or 5 (MQTT 5), got 3',
      'kioskd fleet: ledgr: unknown key (did you mean "ledger"?)',
    ]);
  });
});

describe('kioskd fleet view --json --once', () => {
  it('prints one JSON snapshot with the kiosk as its retained status and health describe it', async () => {
    await waitFor('the kiosk connected', () => link.connected);
    const result = await kioskd('fleet', 'view', '--json', '--once', '--wait', '400', ...connection());
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines).toHaveLength(1);
    const snapshot = JSON.parse(lines[0]!);
    const kiosk = snapshot.kiosks.find((k: { kioskId: string }) => k.kioskId === KIOSK);
    expect(kiosk).toMatchObject({ state: 'online', version: expect.any(String) });
    expect(kiosk.epoch).toBeGreaterThanOrEqual(1);
  });
});

describe('kioskd fleet view --once started after a payment (the README\'s "what the fleet sees")', () => {
  it('shows DEVICES, CASHBOX and LAST PAYMENT at once, from the retained health', async () => {
    await waitFor('the kiosk connected', () => link.connected);
    board?.setDeviceStatus('cashAcceptor', { state: 'online' });
    makePayments(journal, 1);
    // The kiosk republishes health after a payment; wait until the broker holds that one.
    const watcher = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...broker.fleetCredentials,
    });
    let lastSeq: number | undefined;
    watcher.on('message', (_topic, payload) => {
      lastSeq = (JSON.parse(payload.toString()) as { lastPayment?: { seq: number } }).lastPayment?.seq;
    });
    await watcher.subscribeAsync(kioskTopics(KIOSK).health, { qos: 0 });
    await waitFor('health with the payment', () => lastSeq === 1, 10_000);
    await watcher.endAsync();

    const result = await kioskd('fleet', 'view', '--once', '--wait', '1000', ...connection());
    expect(result.code).toBe(0);
    const line = result.out.split('\n').find((l) => l.startsWith(KIOSK));
    expect(line).toContain('acc:online');
    expect(line).toMatch(/ 1 notes/);
    expect(line).toMatch(/#1 10\.00 CNY \d+s ago/);
  });
});
