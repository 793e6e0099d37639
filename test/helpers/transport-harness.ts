import { PassThrough } from 'node:stream';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import {
  type RetryInfo,
  SerialTransport,
  type SerialTransportOptions,
  type TransportLossReason,
} from '../../devices/transport/serial-transport.js';
import { createLogger, type Logger } from '../../src/log.js';

/** The echo simulator's line (9600 8N1), what transport tests open with. */
export const ECHO_LINE = {
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  rtscts: false,
  xonxoff: false,
} as const satisfies SerialTransportOptions['line'];

/** A logger whose JSON lines a test can read back. */
export function capturingLogger(level: 'debug' | 'info' = 'debug'): {
  logger: Logger;
  lines: () => unknown[];
} {
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createLogger({ level, destination: sink });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown),
  };
}

/** Everything a transport reported, in order, with the time since the recorder started. */
export interface TransportRecord {
  events: {
    at: number;
    event: 'online' | 'offline' | 'retry';
    reason?: TransportLossReason;
    retry?: RetryInfo;
  }[];
  received: Buffer[];
}

export function recordTransport(transport: SerialTransport): TransportRecord {
  const t0 = performance.now();
  const record: TransportRecord = { events: [], received: [] };
  transport.on('online', () => record.events.push({ at: performance.now() - t0, event: 'online' }));
  transport.on('offline', (reason) =>
    record.events.push({ at: performance.now() - t0, event: 'offline', reason }),
  );
  transport.on('retry', (retry) => record.events.push({ at: performance.now() - t0, event: 'retry', retry }));
  transport.on('data', (chunk) => record.received.push(chunk));
  return record;
}

export function makeTransport(
  binding: BindingInterface,
  path: string,
  overrides: Partial<SerialTransportOptions> = {},
): SerialTransport {
  return new SerialTransport({
    name: 'test',
    path,
    line: ECHO_LINE,
    binding,
    silenceTimeoutMs: 500,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0 },
    logger: createLogger({ level: 'silent' }),
    random: () => 0,
    ...overrides,
  });
}

/** Resolves on the transport's next `event`, or rejects naming what did not happen in time. */
export function nextEvent(
  transport: SerialTransport,
  event: 'online' | 'offline',
  timeoutMs: number,
): Promise<TransportLossReason | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      transport.off(event, listener);
      reject(new Error(`transport did not go ${event} within ${timeoutMs} ms (state ${transport.state})`));
    }, timeoutMs);
    const listener = (reason?: TransportLossReason): void => {
      clearTimeout(timer);
      resolve(reason);
    };
    transport.once(event, listener);
  });
}

/** Collects data events until `expected` bytes arrived; rejects after `timeoutMs`. */
export function receiveBytes(
  transport: SerialTransport,
  expected: number,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => {
      transport.off('data', listener);
      reject(new Error(`received ${total} of ${expected} bytes within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= expected) {
        clearTimeout(timer);
        transport.off('data', listener);
        resolve(Buffer.concat(chunks));
      }
    };
    transport.on('data', listener);
  });
}

/** Writes `bytes` and resolves with the echo of exactly that many bytes. */
export async function roundTrip(
  transport: SerialTransport,
  bytes: Uint8Array,
  timeoutMs = 1_000,
): Promise<Buffer> {
  const echo = receiveBytes(transport, bytes.length, timeoutMs);
  try {
    await transport.write(bytes);
  } catch (error) {
    echo.catch(() => undefined);
    throw error;
  }
  return echo;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
