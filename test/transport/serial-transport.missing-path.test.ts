import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { hangupAwareBinding } from '../../core/hangup-aware-binding.js';
import type { BindingInterface } from '../../devices/transport/serial-binding.js';
import type { RetryInfo } from '../../devices/transport/serial-transport.js';
import { openPtyPair } from '../../simulators/harness/pty-pair.js';
import { requireTool } from '../helpers/require-tool.js';
import { capturingLogger, makeTransport, nextEvent } from '../helpers/transport-harness.js';

const binding = hangupAwareBinding(autoDetect()) as unknown as BindingInterface;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => requireTool('socat'));

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface LogLine {
  level: number;
  msg: string;
  path?: string;
  errno?: string;
}
const WARN = 40;

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SerialTransport on a serial path that does not exist (yet)', () => {
  it('warns once per reason with the path and errno, not per retry, and comes online when the path appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kioskd-nodevice-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'host');
    const log = capturingLogger('debug');
    const transport = makeTransport(binding, path, {
      logger: log.logger,
      reconnect: { initialDelayMs: 10, maxDelayMs: 30, factor: 2, jitter: 0 },
    });
    cleanups.push(() => transport.stop());
    const retries: RetryInfo[] = [];
    transport.on('retry', (info) => retries.push(info));
    const warnings = (): LogLine[] =>
      (log.lines() as LogLine[]).filter((l) => l.level === WARN && l.errno !== undefined);

    transport.start();
    await waitFor('several failed opens', () => retries.length >= 5);
    expect(retries.every((r) => r.reason.code === ErrorCode.TransportOpenFailed)).toBe(true);
    expect(retries.every((r) => r.reason.errno === 'ENOENT')).toBe(true);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ path, errno: 'ENOENT' });
    expect(warnings()[0]?.msg).toContain(path);

    // Something that is not a tty at that path: a new reason, warned once more.
    writeFileSync(path, 'not a tty');
    const seen = retries.length;
    await waitFor('a failed open of the file', () =>
      retries.slice(seen).some((r) => r.reason.errno === 'ENOTTY'),
    );
    await waitFor('more retries', () => retries.length >= seen + 4);
    expect(warnings().map((w) => w.errno)).toEqual(['ENOENT', 'ENOTTY']);
    unlinkSync(path);

    // The device appears: socat makes a pty and links it at the configured path.
    const online = nextEvent(transport, 'online', 10_000);
    const pair = await openPtyPair({ dir });
    cleanups.push(() => pair.close());
    expect(pair.hostPath).toBe(path);
    await online;
    expect(transport.state).toBe('online');
  });
});
