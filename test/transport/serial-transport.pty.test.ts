import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import type { SerialTransport } from '../../devices/transport/serial-transport.js';
import { openPtyPair, type PtyPair } from '../../simulators/harness/pty-pair.js';
import { attachToSerialPath, type SerialEndpoint } from '../../simulators/harness/serial-endpoint.js';
import type { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { createSimulatorHost } from '../../simulators/registry.js';
import { silentLogger } from '../../src/log.js';
import { requireTool } from '../helpers/require-tool.js';
import { delay, makeTransport, nextEvent, recordTransport, roundTrip } from '../helpers/transport-harness.js';

const SILENCE_MS = 500;
const binding = hangupAwareBinding(autoDetect());

/** socat, the echo simulator on the device end, and a transport on the host end. */
interface PtyRig {
  pair: PtyPair;
  host: SimulatorHost;
  endpoint: SerialEndpoint;
  transport: SerialTransport;
}

const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => requireTool('socat'));

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ptyRig(): Promise<PtyRig> {
  const pair = await openPtyPair();
  cleanups.push(() => pair.close());
  const host = createSimulatorHost('echo');
  cleanups.push(() => host.close());
  const rig: PtyRig = {
    pair,
    host,
    endpoint: await attachToSerialPath(host, pair.devicePath, silentLogger()),
    transport: makeTransport(binding, pair.hostPath, { silenceTimeoutMs: SILENCE_MS }),
  };
  cleanups.push(() => rig.endpoint.close());
  cleanups.push(() => rig.transport.stop());
  const online = nextEvent(rig.transport, 'online', 10_000);
  rig.transport.start();
  await online;
  return rig;
}

/** Puts the cable back: socat with the same paths, and the simulator on the new device end. */
async function replug(rig: PtyRig): Promise<void> {
  await rig.endpoint.close();
  await rig.pair.restart();
  rig.endpoint = await attachToSerialPath(rig.host, rig.pair.devicePath, silentLogger());
}

describe('SerialTransport over a real pty to the echo simulator', () => {
  it('opens and exchanges bytes both ways', async () => {
    const { transport } = await ptyRig();
    const frame = Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56);
    expect([...(await roundTrip(transport, frame))]).toEqual([...frame]);
    // Bytes a cooked tty would translate or swallow.
    const awkward = Uint8Array.of(0x0d, 0x0a, 0x03, 0x11, 0x13, 0xff);
    expect([...(await roundTrip(transport, awkward))]).toEqual([...awkward]);
    expect(transport.counters).toMatchObject({ bytesIn: 11, bytesOut: 11 });
  });

  it('goes offline when socat dies mid-stream and comes back by itself when it returns', async () => {
    const rig = await ptyRig();
    const { transport } = rig;
    const record = recordTransport(transport);
    await roundTrip(transport, Uint8Array.of(1, 2, 3));

    // Keep polling as a driver would, so the cable is pulled mid-stream.
    let polling = true;
    const writeErrors: unknown[] = [];
    const poller = (async () => {
      while (polling) {
        await transport
          .write(Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56))
          .catch((e: unknown) => writeErrors.push(e));
        await delay(10);
      }
    })();
    await delay(50);
    const offline = nextEvent(transport, 'offline', SILENCE_MS + 300);
    const killedAt = performance.now();
    rig.pair.kill();
    const reason = await offline;
    expect(performance.now() - killedAt).toBeLessThan(SILENCE_MS + 300);
    expect([
      ErrorCode.TransportDisconnected,
      ErrorCode.TransportSilence,
      ErrorCode.TransportWriteFailed,
    ]).toContain(reason?.code);

    const t0 = performance.now();
    const refused = await transport.write(Uint8Array.of(0x41)).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(20);
    expect(isKioskError(refused, ErrorCode.TransportNotOpen)).toBe(true);

    // Stays down while the cable is out, retrying.
    await delay(300);
    expect(transport.state).not.toBe('online');
    expect(record.events.filter((e) => e.event === 'retry').length).toBeGreaterThanOrEqual(2);
    polling = false;
    await poller;
    expect(writeErrors.every((e) => isKioskError(e))).toBe(true);

    const online = nextEvent(transport, 'online', 10_000);
    await replug(rig);
    await online;
    expect(transport.state).toBe('online');
    expect(transport.counters.reconnects).toBe(1);
    expect([...(await roundTrip(transport, Uint8Array.of(7, 8, 9)))]).toEqual([7, 8, 9]);
    expect(record.events.filter((e) => e.event === 'online')).toHaveLength(1);
    expect(record.events.filter((e) => e.event === 'offline')).toHaveLength(1);
  });

  it('declares a muted device gone by the silence watchdog while the pty stays up', async () => {
    const rig = await ptyRig();
    await roundTrip(rig.transport, Uint8Array.of(1));
    rig.host.control({ action: 'mute', on: true });
    const offline = nextEvent(rig.transport, 'offline', SILENCE_MS * 3);
    const t0 = performance.now();
    await rig.transport.write(Uint8Array.of(0x11));
    const reason = await offline;
    expect(reason?.code).toBe(ErrorCode.TransportSilence);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(SILENCE_MS - 5);

    // The transport closed and reopens the same pty; the device answers again once unmuted.
    await nextEvent(rig.transport, 'online', 10_000);
    rig.host.control({ action: 'mute', on: false });
    expect([...(await roundTrip(rig.transport, Uint8Array.of(4, 5)))]).toEqual([4, 5]);
  });

  it('stop() closes the pty promptly, even while reconnecting to a dead path', async () => {
    const rig = await ptyRig();
    const offline = nextEvent(rig.transport, 'offline', 10_000);
    rig.pair.kill();
    await offline;
    const t0 = performance.now();
    await rig.transport.stop();
    expect(performance.now() - t0).toBeLessThan(200);
    await rig.endpoint.close();
    await rig.pair.restart();
    await delay(200);
    expect(rig.transport.state).toBe('stopped');
  });
});
