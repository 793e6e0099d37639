import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { emitSafely } from '../../core/safe-emitter.js';

interface Recorded {
  obj: unknown;
  msg: string;
}

function recordingLog(): { log: { error(obj: unknown, msg: string): void }; lines: Recorded[] } {
  const lines: Recorded[] = [];
  return { log: { error: (obj, msg) => lines.push({ obj, msg }) }, lines };
}

describe('emitSafely', () => {
  it('calls every listener even when an earlier one throws, and logs the throw with the event name', () => {
    const emitter = new EventEmitter<{ status: [value: number] }>();
    const seen: number[] = [];
    emitter.on('status', () => {
      throw new Error('listener bug');
    });
    emitter.on('status', (value) => seen.push(value));
    const { log, lines } = recordingLog();
    emitSafely(emitter, log, 'acceptor', 'status', 7);
    expect(seen).toEqual([7]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({ event: 'status' });
    expect(lines[0]?.msg).toBe('acceptor listener threw');
  });

  it('logs an async listener’s rejection instead of leaving it unhandled', async () => {
    const emitter = new EventEmitter<{ data: [] }>();
    emitter.on('data', async () => {
      throw new Error('async listener bug');
    });
    const { log, lines } = recordingLog();
    emitSafely(emitter, log, 'transport', 'data');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({ event: 'data' });
  });

  it('a once listener runs once', () => {
    const emitter = new EventEmitter<{ ready: [] }>();
    let calls = 0;
    emitter.once('ready', () => calls++);
    const { log } = recordingLog();
    emitSafely(emitter, log, 'printer', 'ready');
    emitSafely(emitter, log, 'printer', 'ready');
    expect(calls).toBe(1);
  });
});
