import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import type { SerialTransport } from '../../devices/transport/serial-transport.js';
import { SimulatorBinding } from '../../simulators/harness/sim-binding.js';
import type { SimulatorHost } from '../../simulators/harness/simulator-host.js';
import { SimulatorRegistry } from '../../simulators/harness/simulator-registry.js';
import { createSimulatorHost } from '../../simulators/registry.js';
import {
  capturingLogger,
  delay,
  makeTransport,
  nextEvent,
  recordTransport,
  roundTrip,
} from '../helpers/transport-harness.js';

const SILENCE_MS = 300;

interface Rig {
  host: SimulatorHost;
  binding: SimulatorBinding;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function rig(): Rig {
  const registry = new SimulatorRegistry();
  const host = createSimulatorHost('echo');
  registry.register('echo', host);
  cleanups.push(() => host.close());
  return { host, binding: new SimulatorBinding(registry) };
}

function transportOn(r: Rig, overrides: Parameters<typeof makeTransport>[2] = {}): SerialTransport {
  const transport = makeTransport(r.binding, 'sim:echo', { silenceTimeoutMs: SILENCE_MS, ...overrides });
  cleanups.push(() => transport.stop());
  return transport;
}

async function started(transport: SerialTransport): Promise<SerialTransport> {
  const online = nextEvent(transport, 'online', 1_000);
  transport.start();
  await online;
  return transport;
}

describe('SerialTransport over the in-process simulator binding', () => {
  it('opens and exchanges bytes both ways, counting them', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    expect(transport.state).toBe('online');
    const frame = Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56);
    expect([...(await roundTrip(transport, frame))]).toEqual([...frame]);
    expect([...(await roundTrip(transport, Uint8Array.of(0, 0xff)))]).toEqual([0, 0xff]);
    expect(transport.counters).toEqual({ reconnects: 0, bytesIn: 7, bytesOut: 7 });
    expect((r.host.snapshot().model as { bytesIn: number }).bytesIn).toBe(7);
  });

  it('start() is idempotent: one connection, one online', async () => {
    const r = rig();
    const transport = transportOn(r);
    const record = recordTransport(transport);
    transport.start();
    transport.start();
    await nextEvent(transport, 'online', 1_000);
    transport.start();
    await delay(50);
    expect(record.events.filter((e) => e.event === 'online')).toHaveLength(1);
  });

  it('goes offline on unplug, refuses writes at once, and comes back by itself on replug', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    const record = recordTransport(transport);
    await roundTrip(transport, Uint8Array.of(1, 2, 3));

    const offline = nextEvent(transport, 'offline', SILENCE_MS + 200);
    r.host.control({ action: 'cable.unplug' });
    await transport.write(Uint8Array.of(4)).catch(() => undefined);
    const reason = await offline;
    expect(reason?.code).toBe(ErrorCode.TransportDisconnected);
    expect(['offline', 'connecting']).toContain(transport.state);

    const t0 = performance.now();
    const refused = await transport.write(Uint8Array.of(0x41)).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(20);
    expect(isKioskError(refused, ErrorCode.TransportNotOpen)).toBe(true);

    // While unplugged every reopen fails and the delay grows.
    await delay(150);
    const retries = record.events.filter((e) => e.event === 'retry').map((e) => e.retry!);
    expect(retries.length).toBeGreaterThanOrEqual(3);
    expect(retries.slice(1).every((retry) => retry.reason.code === ErrorCode.TransportOpenFailed)).toBe(true);
    expect(retries.map((retry) => retry.delayMs).slice(0, 3)).toEqual([20, 40, 80]);

    const online = nextEvent(transport, 'online', 1_000);
    r.host.control({ action: 'cable.plug' });
    await online;
    expect(transport.counters.reconnects).toBe(1);
    expect([...(await roundTrip(transport, Uint8Array.of(7, 8, 9)))]).toEqual([7, 8, 9]);
    // The write refused while offline never reached the device later.
    expect((r.host.snapshot().model as { bytesIn: number }).bytesIn).toBe(6);
    expect(record.events.filter((e) => e.event === 'online')).toHaveLength(1);
    expect(record.events.filter((e) => e.event === 'offline')).toHaveLength(1);
  });

  it('declares a muted device gone after silenceTimeoutMs of unanswered writes', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    await roundTrip(transport, Uint8Array.of(1));
    r.host.control({ action: 'mute', on: true });
    const offline = nextEvent(transport, 'offline', SILENCE_MS * 3);
    const t0 = performance.now();
    await transport.write(Uint8Array.of(0x11));
    // Later writes must not push the deadline out.
    await delay(SILENCE_MS / 2);
    await transport.write(Uint8Array.of(0x11));
    const reason = await offline;
    const elapsed = performance.now() - t0;
    expect(reason?.code).toBe(ErrorCode.TransportSilence);
    expect(elapsed).toBeGreaterThanOrEqual(SILENCE_MS - 5);
    expect(elapsed).toBeLessThan(SILENCE_MS + 150);

    // The port itself is fine, so the reconnect succeeds; the device answers again once unmuted.
    await nextEvent(transport, 'online', 1_000);
    r.host.control({ action: 'mute', on: false });
    expect([...(await roundTrip(transport, Uint8Array.of(5)))]).toEqual([5]);
  });

  it('keeps a device that answers in time online, and an idle one needs no traffic', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    const record = recordTransport(transport);
    const until = performance.now() + SILENCE_MS * 2.5;
    while (performance.now() < until) await roundTrip(transport, Uint8Array.of(0x11));
    await delay(SILENCE_MS * 1.5);
    expect(transport.state).toBe('online');
    expect(record.events).toEqual([]);
  });

  it('a powered-off device (cable in, no answer) trips the watchdog too', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    r.host.control({ action: 'power.cut' });
    const offline = nextEvent(transport, 'offline', SILENCE_MS * 3);
    await transport.write(Uint8Array.of(0x11));
    expect((await offline)?.code).toBe(ErrorCode.TransportSilence);
  });

  it('stop() during backoff resolves promptly and nothing reconnects afterwards', async () => {
    const r = rig();
    const transport = await started(
      transportOn(r, { reconnect: { initialDelayMs: 200, maxDelayMs: 1_000, factor: 2, jitter: 0 } }),
    );
    const record = recordTransport(transport);
    const offline = nextEvent(transport, 'offline', 1_000);
    r.host.control({ action: 'cable.unplug' });
    await transport.write(Uint8Array.of(1)).catch(() => undefined);
    await offline;
    expect(transport.state).toBe('offline');

    const t0 = performance.now();
    await transport.stop();
    expect(performance.now() - t0).toBeLessThan(50);
    expect(transport.state).toBe('stopped');

    r.host.control({ action: 'cable.plug' });
    await delay(500);
    expect(transport.state).toBe('stopped');
    expect(record.events.filter((e) => e.event === 'online')).toHaveLength(0);
    const refused = await transport.write(Uint8Array.of(1)).catch((e: unknown) => e);
    expect(isKioskError(refused, ErrorCode.TransportStopped)).toBe(true);
    expect(() => transport.start()).toThrow(expect.objectContaining({ code: ErrorCode.TransportStopped }));
    // The port was released: another transport can have the device.
    await started(transportOn(r));
  });

  it('stop() while online closes the port and does not report a loss', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    const record = recordTransport(transport);
    await Promise.all([transport.stop(), transport.stop()]);
    expect(transport.state).toBe('stopped');
    expect(record.events).toEqual([]);
    await started(transportOn(r));
  });

  it('resets the backoff once a connection has been online and answering for resetAfterMs', async () => {
    const r = rig();
    const transport = await started(
      transportOn(r, {
        // resetAfterMs well above what a loaded CI machine takes between two steps of the test:
        // "back at once" must stay short of it, the wait below well beyond it.
        reconnect: { initialDelayMs: 20, maxDelayMs: 1_000, factor: 2, jitter: 0, resetAfterMs: 1_500 },
      }),
    );
    const record = recordTransport(transport);
    const attempts = (): number[] =>
      record.events.filter((e) => e.event === 'retry').map((e) => e.retry!.attempt);

    /** Unplugs, waits for `retries` more retries (not a time: a loaded machine stretches it), replugs. */
    const unplugAndWait = async (retries: number): Promise<void> => {
      const offline = nextEvent(transport, 'offline', 1_000);
      const before = attempts().length;
      r.host.control({ action: 'cable.unplug' });
      await transport.write(Uint8Array.of(1)).catch(() => undefined);
      await offline;
      for (let waited = 0; attempts().length < before + retries; waited += 5) {
        if (waited > 5_000)
          throw new Error(`only ${attempts().length - before} of ${retries} retries in 5 s`);
        await delay(5);
      }
      const online = nextEvent(transport, 'online', 2_000);
      r.host.control({ action: 'cable.plug' });
      await online;
    };

    await unplugAndWait(3); // retries 0 (20 ms), 1 (40 ms), 2 (80 ms)
    expect(attempts().slice(0, 3)).toEqual([0, 1, 2]);
    const afterFirst = attempts().length;

    // Back at once, too short to count as stable: the next loss keeps climbing.
    await roundTrip(transport, Uint8Array.of(2));
    await unplugAndWait(1);
    expect(attempts()[afterFirst]).toBe(afterFirst);
    const afterSecond = attempts().length;

    // Online and answering past resetAfterMs: the next loss starts from attempt 0 again.
    await delay(1_600);
    await roundTrip(transport, Uint8Array.of(3));
    await unplugAndWait(1);
    expect(attempts()[afterSecond]).toBe(0);
  });

  it('survives a data listener that throws', async () => {
    const r = rig();
    const { logger, lines } = capturingLogger('info');
    const transport = await started(transportOn(r, { logger }));
    transport.on('data', () => {
      throw new Error('listener bug');
    });
    await roundTrip(transport, Uint8Array.of(1));
    expect([...(await roundTrip(transport, Uint8Array.of(2)))]).toEqual([2]);
    expect(transport.state).toBe('online');
    expect(lines().some((l) => (l as { msg?: string }).msg === 'transport listener threw')).toBe(true);
  });

  it('traces each chunk as a debug line only when byteTrace is on', async () => {
    const r = rig();
    const traced = capturingLogger('debug');
    const quiet = capturingLogger('debug');
    const a = await started(transportOn(r, { logger: traced.logger, byteTrace: true }));
    await roundTrip(a, Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56));
    await a.stop();
    const b = await started(transportOn(r, { logger: quiet.logger }));
    await roundTrip(b, Uint8Array.of(1));

    await delay(20); // pino writes asynchronously
    const trace = traced.lines().filter((l) => (l as { msg?: string }).msg === 'bytes') as {
      dir: string;
      hex: string;
      t: number;
    }[];
    expect(trace.map(({ dir, hex }) => ({ dir, hex }))).toEqual([
      { dir: 'tx', hex: 'FC 05 11 27 56' },
      { dir: 'rx', hex: 'FC 05 11 27 56' },
    ]);
    expect(trace[1]!.t).toBeGreaterThan(trace[0]!.t);
    expect(quiet.lines().some((l) => (l as { msg?: string }).msg === 'bytes')).toBe(false);
  });

  it('rejects bad writes with a KioskError and sends nothing', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    for (const bad of [new Uint8Array(0), 'FC05' as unknown as Uint8Array, [1, 2] as unknown as Uint8Array]) {
      const error = await transport.write(bad).catch((e: unknown) => e);
      expect(isKioskError(error, ErrorCode.TransportWriteFailed)).toBe(true);
    }
    await delay(20);
    expect(transport.counters.bytesOut).toBe(0);
    expect(transport.state).toBe('online');
  });

  it('copies written bytes, so reusing the buffer does not change what was sent', async () => {
    const r = rig();
    const transport = await started(transportOn(r));
    const buffer = Uint8Array.of(1, 2, 3);
    const echo = roundTrip(transport, buffer);
    buffer.fill(9);
    expect([...(await echo)]).toEqual([1, 2, 3]);
  });

  it('keeps retrying a path that does not exist, without going online or throwing', async () => {
    const r = rig();
    const transport = makeTransport(r.binding, 'sim:nothing', {});
    cleanups.push(() => transport.stop());
    const record = recordTransport(transport);
    transport.start();
    await delay(100);
    expect(transport.state === 'offline' || transport.state === 'connecting').toBe(true);
    const retries = record.events.filter((e) => e.event === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]!.retry!.reason.code).toBe(ErrorCode.TransportOpenFailed);
    expect(retries[0]!.retry!.reason.message).toContain('sim:nothing');
    expect(record.events.some((e) => e.event === 'online' || e.event === 'offline')).toBe(false);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ path: '' }, 'path'],
    [{ line: { baudRate: 9600.5 } }, 'line.baudRate'],
    [{ silenceTimeoutMs: -1 }, 'silenceTimeoutMs'],
    [{ reconnect: { initialDelayMs: 10, maxDelayMs: 5, factor: 2, jitter: 0 } }, 'reconnect.maxDelayMs'],
    [{ reconnect: { initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: 2 } }, 'reconnect.jitter'],
    [{ binding: {} }, 'binding'],
  ])('refuses bad options %j with ConfigInvalid naming %s', (override, field) => {
    const r = rig();
    const base = makeTransport(r.binding, 'sim:echo');
    const options = {
      name: base.name,
      path: base.path,
      line: { ...base.line, ...((override as { line?: object }).line ?? {}) },
      binding: r.binding,
      silenceTimeoutMs: 500,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0 },
      logger: capturingLogger().logger,
      ...override,
    };
    if ('line' in override) options.line = { ...base.line, ...override.line };
    let caught: unknown;
    try {
      makeTransport(r.binding, 'sim:echo', options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KioskError);
    expect((caught as KioskError).code).toBe(ErrorCode.ConfigInvalid);
    expect((caught as KioskError).message).toContain(field);
  });
});
