import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { autoDetect } from '@serialport/bindings-cpp';
import { hangupAwareBinding } from '../core/hangup-aware-binding.js';
import { byteTimeMs, type LineSettings } from '../core/line-settings.js';
import type { BindingInterface } from '../devices/transport/serial-binding.js';
import { SerialTransport } from '../devices/transport/serial-transport.js';
import { openPtyPair } from '../simulators/harness/pty-pair.js';
import { attachToSerialPath } from '../simulators/harness/serial-endpoint.js';
import { SimulatorBinding } from '../simulators/harness/sim-binding.js';
import { SimulatorRegistry } from '../simulators/harness/simulator-registry.js';
import { createSimulatorHost } from '../simulators/registry.js';
import { silentLogger } from '../src/log.js';
import type { BenchResult } from './bench-result.js';

/** The ID-003 status poll: the frame a driver sends most often. */
const FRAME = Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56);
const FULL_ROUND_TRIPS = 2_000;
const SMOKE_ROUND_TRIPS = 100;
const WARMUP_ROUND_TRIPS = 50;
/** One round trip this slow means the echo is lost, not slow. */
const ROUND_TRIP_TIMEOUT_MS = 2_000;

interface Latency {
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function summarise(samplesUs: number[]): Latency {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n);
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1)!),
  };
}

/**
 * Opens a transport, then times `count` sequential round trips (write the frame, wait for its
 * whole echo) after a warm-up. Returns the samples in microseconds.
 */
async function measure(
  binding: BindingInterface,
  path: string,
  line: LineSettings,
  count: number,
): Promise<number[]> {
  const transport = new SerialTransport({
    name: 'bench',
    path,
    line,
    binding,
    silenceTimeoutMs: ROUND_TRIP_TIMEOUT_MS,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, factor: 2, jitter: 0.2 },
    logger: silentLogger(),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${path} did not open within 5 s`)), 5_000);
      transport.once('online', () => {
        clearTimeout(timer);
        resolve();
      });
      transport.start();
    });
    let awaited = 0;
    let wake: (() => void) | undefined;
    transport.on('data', (chunk) => {
      awaited -= chunk.length;
      if (awaited <= 0) wake?.();
    });
    const lost = new Promise<never>((_, reject) =>
      transport.once('offline', (reason) => reject(new Error(`transport went offline: ${reason.message}`))),
    );
    lost.catch(() => undefined);
    const samples: number[] = [];
    for (let i = 0; i < WARMUP_ROUND_TRIPS + count; i++) {
      awaited = FRAME.length;
      const echoed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const t0 = performance.now();
      await transport.write(FRAME);
      await Promise.race([echoed, lost]);
      const us = (performance.now() - t0) * 1000;
      if (i >= WARMUP_ROUND_TRIPS) samples.push(us);
    }
    return samples;
  } finally {
    await transport.stop();
  }
}

async function overPty(line: LineSettings, count: number): Promise<number[]> {
  const pair = await openPtyPair();
  const host = createSimulatorHost('echo', { wireTime: false, model: { answerDelayMs: 0 } });
  try {
    const endpoint = await attachToSerialPath(host, pair.devicePath, silentLogger());
    try {
      return await measure(hangupAwareBinding(autoDetect()), pair.hostPath, line, count);
    } finally {
      await endpoint.close();
    }
  } finally {
    host.close();
    await pair.close();
  }
}

async function inProcess(wireTime: boolean, count: number): Promise<number[]> {
  const registry = new SimulatorRegistry();
  const host = createSimulatorHost('echo', { wireTime, model: { answerDelayMs: 0 } });
  registry.register('echo', host);
  try {
    return await measure(new SimulatorBinding(registry), 'sim:echo', host.model.line, count);
  } finally {
    host.close();
  }
}

/**
 * Round-trip latency of one 5-byte frame through the transport: over a real pty to the echo
 * simulator (the OS path a production port takes), and over the in-process binding with and
 * without wire-time pacing. Judged by how the pty's p99 compares with what the frame's round
 * trip costs on the wire itself at 9600 8N1: the transport must never be the slow part.
 */
export async function run(options: { smoke?: boolean } = {}): Promise<BenchResult> {
  const smoke = options.smoke ?? (process.argv.includes('--smoke') || process.env['BENCH_SMOKE'] === '1');
  const count = smoke ? SMOKE_ROUND_TRIPS : FULL_ROUND_TRIPS;
  const started = performance.now();

  const ptyHost = createSimulatorHost('echo');
  const line = ptyHost.model.line;
  ptyHost.close();

  const pty = summarise(await overPty(line, count));
  const inProcessRaw = summarise(await inProcess(false, count));
  const inProcessPaced = summarise(await inProcess(true, count));

  const wireRoundTripUs = 2 * FRAME.length * byteTimeMs(line) * 1000;
  const ratio = pty.p99 / wireRoundTripUs;
  const result: BenchResult = {
    name: 'pty-roundtrip',
    figures: {
      roundTrips: count,
      frameBytes: FRAME.length,
      line: `${line.baudRate} ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits}`,
      echoAnswerDelayUs: 0,
      ptyP50Us: pty.p50,
      ptyP99Us: pty.p99,
      ptyMaxUs: pty.max,
      inProcessP50Us: inProcessRaw.p50,
      inProcessP99Us: inProcessRaw.p99,
      inProcessMaxUs: inProcessRaw.max,
      inProcessWireTimeP50Us: inProcessPaced.p50,
      inProcessWireTimeP99Us: inProcessPaced.p99,
      inProcessWireTimeMaxUs: inProcessPaced.max,
      wireRoundTripUs: Math.round(wireRoundTripUs),
      runtimeMs: Math.round(performance.now() - started),
    },
    ratio: {
      name: 'pty round trip p99 / frame round trip on the wire at the device line rate',
      value: Math.round(ratio * 1000) / 1000,
      target: '< 1',
      pass: ratio < 1,
    },
  };
  for (const [name, value] of Object.entries(result.figures)) console.error(`${name.padEnd(24)} ${value}`);
  console.error(`${result.ratio!.name}: ${result.ratio!.value} (target ${result.ratio!.target})`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(
        `pty-roundtrip bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
