import { existsSync, statSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { kioskConfigSchema } from '../../src/config/index.js';
import { loadFleetToolConfig } from '../../src/fleet/fleet-config.js';
import { startEmbeddedBroker } from '../../src/fleet-broker/embedded-broker.js';
import { EMBEDDED_LEDGER_FILE, startEmbeddedFleet } from '../../src/fleet-broker/embedded-fleet.js';
import { silentLogger } from '../../src/log.js';
import { FakeKiosk, paymentPayload, scratchDir, waitFor } from './fleet-test-kit.js';

const dirs: ReturnType<typeof scratchDir>[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('embedded broker', () => {
  it('speaks MQTT 3.1.1 with retained messages on a free loopback port, and frees it on close', async () => {
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const a = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...broker.credentialsFor('k-1') });
    await a.publishAsync('kiosk/v1/k-1/status', 'kept', { qos: 1, retain: true });
    const b = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...broker.fleetCredentials });
    const got = new Promise<string>((resolve) => b.on('message', (_t, p) => resolve(p.toString())));
    await b.subscribeAsync('kiosk/v1/+/status', { qos: 1 });
    expect(await got).toBe('kept');
    // A socket that never sends CONNECT must not keep the port busy after close.
    const idle = await new Promise<Socket>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: broker.port }, () => resolve(socket));
    });
    await broker.close();
    expect(await portIsFree(broker.port)).toBe(true);
    idle.destroy();
    await a.endAsync(true);
    await b.endAsync(true);
  });

  it('refuses a port in use and a port out of range with FleetBrokerStart', async () => {
    const first = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    const taken = await failure(startEmbeddedBroker({ port: first.port, logger: silentLogger() }));
    expect(isKioskError(taken, ErrorCode.FleetBrokerStart)).toBe(true);
    expect((taken as Error).message).toContain(`port ${first.port} is already in use`);
    await first.close();
    const wrong = await failure(startEmbeddedBroker({ port: 70_000, logger: silentLogger() }));
    expect(isKioskError(wrong, ErrorCode.FleetBrokerStart)).toBe(true);
    expect((wrong as Error).message).toContain('got 70000');
  });
});

describe('embedded fleet (kioskd demo)', () => {
  it('runs a ledger beside the broker that stores and acknowledges payments under dataDir', async () => {
    const dir = scratchDir('embedded-fleet');
    dirs.push(dir);
    const config = kioskConfigSchema.parse({
      kioskId: 'demo-0001',
      dataDir: dir.path,
      fleet: { broker: { url: 'embedded', protocolVersion: 4 }, embeddedBroker: { port: 0 } },
    });
    const fleet = await startEmbeddedFleet(config, silentLogger());
    expect(fleet.ledger.subscription?.shared).toBe(false);
    const kiosk = await FakeKiosk.connect(fleet.brokerUrl, 'demo-0001', fleet.broker);
    const payment = paymentPayload('demo-0001', 1);
    await kiosk.publish(payment);
    await waitFor('the ack', () => kiosk.acks.length === 1);
    expect(kiosk.acks[0]).toMatchObject({ ackThroughSeq: 1 });
    expect(kiosk.ackedIds()).toEqual([payment.paymentId]);
    // The fleet tools' login, for `kioskd fleet view --config <dataDir>/embedded-fleet.yaml`.
    expect(statSync(fleet.fleetLoginFile).mode & 0o777).toBe(0o600);
    const tools = loadFleetToolConfig(fleet.fleetLoginFile);
    expect(tools.broker).toMatchObject({ url: fleet.brokerUrl, ...fleet.broker.fleetCredentials });
    await kiosk.close();
    await fleet.stop();
    expect(existsSync(fleet.fleetLoginFile)).toBe(false);
    expect(existsSync(join(dir.path, EMBEDDED_LEDGER_FILE))).toBe(true);
    expect(await portIsFree(fleet.broker.port)).toBe(true);
  });
});
