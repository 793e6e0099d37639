import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { statusBytes } from '../../bench/proc-stats.js';
import { unitEnvironment } from '../../bench/systemd-unit-env.js';
import { connectWithPacketLimit } from '../../src/fleet-protocol/mqtt-packet-size-guard.js';
import { exitOf, spawnKioskd, waitForJsonLine } from '../helpers/cli-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { createTestPki } from '../helpers/pki.js';
import { requireTool } from '../helpers/require-tool.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

/*
 * Issue 10, F4: one 100 MB publish took the daemon from 110 to 418 MB RSS, three of 250 MB
 * peaked at 1.67 GB, because MQTT packets were read whole before their size was looked at.
 */

const MIB = 1024 * 1024;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fixed header of packet type `type` (0x30 PUBLISH QoS 0, 0x10 CONNECT) announcing `bodyBytes`. */
function publishHeader(bodyBytes: number, type = 0x30): Buffer {
  const bytes = [type];
  let left = bodyBytes;
  do {
    let digit = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) digit |= 0x80;
    bytes.push(digit);
  } while (left > 0);
  return Buffer.from(bytes);
}

/** An MQTT 3.1.1 CONNECT with a user name and password. */
function loginPacket(clientId: string, username: string, password: string): Buffer {
  const field = (text: string) => {
    const bytes = Buffer.from(text);
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  };
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 30]);
  const body = Buffer.concat([variable, field(clientId), field(username), field(password)]);
  return Buffer.concat([publishHeader(body.length, 0x10), body]);
}

/**
 * Streams one CONNECT packet of `totalBytes` to host:port in 64 KiB writes of one reused buffer (this
 * process never holds the payload) until it is all written or the peer ends the connection.
 * Resolves with the bytes that went out.
 */
function throwPublish(
  port: number,
  totalBytes: number,
  asPublish?: { login: Buffer; topic: string },
): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(sent);
    };
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', () => {});
    const pump = () => {
      while (!done && sent < totalBytes) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (sent >= totalBytes) socket.end();
    };
    socket.once('connect', () => {
      // The packet is a CONNECT: mqtt-packet reads it whole before the broker can check the
      // login in it, so no password is needed to make the broker buffer it.
      if (asPublish === undefined) {
        socket.write(publishHeader(totalBytes, 0x10));
      } else {
        // Logged in, a PUBLISH to the kiosk's cmd topic: the topic, then the payload streamed.
        const topic = Buffer.from(asPublish.topic);
        socket.write(asPublish.login);
        socket.write(publishHeader(totalBytes));
        socket.write(Buffer.from([topic.length >> 8, topic.length & 0xff]));
        socket.write(topic);
        sent += 2 + topic.length;
      }
      pump();
    });
  });
}

describe('MQTT packet size limit', () => {
  it('the daemon with the embedded broker stays under 150 MB RSS while 3 × 250 MB packets are thrown at it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-packet-size-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const configPath = join(dir, 'kiosk.yaml');
    writeFileSync(
      configPath,
      stringify({
        kioskId: 'packet-size-1',
        dataDir: join(dir, 'var'),
        devices: { cashAcceptor: { port: 'sim:id003' } },
        simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
        api: { port: 0 },
        fleet: {
          enabled: true,
          broker: { url: 'embedded', protocolVersion: 4 },
          embeddedBroker: { host: '127.0.0.1', port: 0 },
        },
      }),
    );
    // With the systemd unit's Node and malloc settings, as a kiosk runs it.
    const child = spawnKioskd(['demo', '--config', configPath], { env: { ...unitEnvironment() } });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exitOf(child);
    });
    const listening = waitForJsonLine(
      child,
      (line) => line['msg'] === 'embedded MQTT broker listening (MQTT 3.1.1, demo and tests only)',
      30_000,
    );
    const up = await waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 30_000);
    const brokerPort = Number(new URL(String((await listening)['url'])).port);
    const api = `${String(up['api'])}/api/v1`;
    const pid = child.pid as number;

    let peak = statusBytes(pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, statusBytes(pid));
    }, 20);
    cleanups.push(() => clearInterval(sampler));
    const sent: number[] = [];
    for (let i = 0; i < 3; i += 1) sent.push(await throwPublish(brokerPort, 250 * MIB));
    clearInterval(sampler);
    peak = Math.max(peak, statusBytes(pid));

    expect(peak, `peak RSS ${(peak / MIB).toFixed(1)} MiB`).toBeLessThan(150 * MIB);
    // The broker ended each connection long before the 250 MB were through.
    for (const bytes of sent) expect(bytes).toBeLessThan(250 * MIB);
    // And it still works: the API answers and the broker takes a new connection.
    const state = await fetch(`${api}/state`);
    expect(state.status).toBe(200);
    expect(await throwPublish(brokerPort, 1024)).toBeGreaterThan(0);
  }, 120_000);

  it('a client made with connectWithPacketLimit drops a connection whose packet announces more than the limit', async () => {
    let received = 0;
    const server: Server = createServer((socket) => {
      socket.once('data', () => {
        // CONNACK accepted, then a publish header announcing 250 MB and its first 1 MiB.
        socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        socket.write(publishHeader(250 * MIB));
        socket.write(Buffer.alloc(MIB));
      });
      socket.on('data', (chunk) => {
        received += chunk.length;
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const client = connectWithPacketLimit(
      `mqtt://127.0.0.1:${port}`,
      { protocolVersion: 4, reconnectPeriod: 0, clientId: 'guarded' },
      256 * 1024,
    );
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.end(true);
    expect(received).toBeGreaterThan(0);
    expect(
      errors.some((e) => String((e as Error).message).includes('refused: the limit is 262144 bytes')),
    ).toBe(true);
  });

  it('the daemon on Mosquitto stays under 150 MB RSS while 3 × 250 MB publishes go to its cmd topic', async () => {
    requireTool('openssl');
    requireTool('mosquitto');
    const pki = createTestPki();
    cleanups.push(() => pki.remove());
    const kioskId = 'packet-size-2';
    const users = new Map([
      ['fleet', 'fleet-password'],
      [kioskId, 'kiosk-password'],
    ]);
    const broker = await startMosquitto({ pki, plainUsers: users });
    cleanups.push(() => broker.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-packet-size-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const configPath = join(dir, 'kiosk.yaml');
    writeFileSync(
      configPath,
      stringify({
        kioskId,
        dataDir: join(dir, 'var'),
        devices: { cashAcceptor: { port: 'sim:id003' } },
        simulators: { controlPort: 0, options: { id003: { timingPreset: 'fast' } } },
        api: { port: 0 },
        fleet: {
          enabled: true,
          broker: { url: broker.plainUrl, protocolVersion: 5, username: kioskId, password: 'kiosk-password' },
          ledger: { publicKeys: [TEST_LEDGER_KEY.configEntry] },
        },
      }),
    );
    const child = spawnKioskd(['run', '--config', configPath], { env: { ...unitEnvironment() } });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exitOf(child);
    });
    const connected = waitForJsonLine(child, (line) => line['msg'] === 'fleet link connected', 30_000);
    const up = await waitForJsonLine(child, (line) => line['msg'] === 'kioskd up', 30_000);
    await connected;
    const pid = child.pid as number;
    const mosquittoPid = broker.pid as number;
    const plainPort = broker.plainPort as number;

    let peak = statusBytes(pid);
    let brokerPeak = statusBytes(mosquittoPid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, statusBytes(pid));
      brokerPeak = Math.max(brokerPeak, statusBytes(mosquittoPid));
    }, 20);
    cleanups.push(() => clearInterval(sampler));
    const sent: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      sent.push(
        await throwPublish(plainPort, 250 * MIB, {
          login: loginPacket(`thrower-${i}`, 'fleet', 'fleet-password'),
          topic: `kiosk/v1/${kioskId}/cmd`,
        }),
      );
    }
    clearInterval(sampler);

    expect(peak, `kioskd peak RSS ${(peak / MIB).toFixed(1)} MiB`).toBeLessThan(150 * MIB);
    expect(brokerPeak, `mosquitto peak RSS ${(brokerPeak / MIB).toFixed(1)} MiB`).toBeLessThan(150 * MIB);
    for (const bytes of sent) expect(bytes).toBeLessThan(250 * MIB);
    const state = await fetch(`${String(up['api'])}/api/v1/state`);
    expect(state.status).toBe(200);
  }, 180_000);
});
