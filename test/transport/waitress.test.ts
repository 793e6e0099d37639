import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';
import { Waitress } from '../../devices/transport/waitress.js';

interface Frame {
  cmd: number;
  seq: number;
}

describe('Waitress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves every waiter whose matcher accepts the value, and only those', async () => {
    const w = new Waitress<Frame>();
    const a = w.waitFor((f) => f.cmd === 0x13, 1000);
    const b = w.waitFor((f) => f.cmd === 0x13, 1000);
    const c = w.waitFor((f) => f.cmd === 0x15, 1000);
    expect(w.resolve({ cmd: 0x13, seq: 1 })).toBe(true);
    await expect(a.promise).resolves.toEqual({ cmd: 0x13, seq: 1 });
    await expect(b.promise).resolves.toEqual({ cmd: 0x13, seq: 1 });
    expect(w.size).toBe(1);
    expect(w.resolve({ cmd: 0x11, seq: 2 })).toBe(false);
    expect(w.resolve({ cmd: 0x15, seq: 3 })).toBe(true);
    await expect(c.promise).resolves.toEqual({ cmd: 0x15, seq: 3 });
    expect(w.size).toBe(0);
  });

  it('gives each waiter the first matching value, not a later one', async () => {
    const w = new Waitress<Frame>();
    const a = w.waitFor((f) => f.cmd === 1, 1000);
    w.resolve({ cmd: 1, seq: 1 });
    const b = w.waitFor((f) => f.cmd === 1, 1000);
    w.resolve({ cmd: 1, seq: 2 });
    await expect(a.promise).resolves.toMatchObject({ seq: 1 });
    await expect(b.promise).resolves.toMatchObject({ seq: 2 });
  });

  it('rejects with DeviceTimeout after the timeout and forgets the waiter', async () => {
    const w = new Waitress<Frame>();
    const a = w.waitFor((f) => f.cmd === 1, 200, 'ESCROW reply');
    vi.advanceTimersByTime(199);
    expect(w.size).toBe(1);
    vi.advanceTimersByTime(1);
    const error = await a.promise.catch((e: unknown) => e);
    expect(isKioskError(error, ErrorCode.DeviceTimeout)).toBe(true);
    expect((error as KioskError).message).toContain('ESCROW reply');
    expect(w.size).toBe(0);
    expect(w.resolve({ cmd: 1, seq: 1 })).toBe(false);
  });

  it('cancel withdraws the waiter: no value, no timeout', async () => {
    const w = new Waitress<Frame>();
    const a = w.waitFor(() => true, 100);
    let settled = false;
    a.promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    a.cancel();
    expect(w.size).toBe(0);
    expect(w.resolve({ cmd: 1, seq: 1 })).toBe(false);
    vi.advanceTimersByTime(1000);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects only the waiter whose matcher threw', async () => {
    const w = new Waitress<Frame>();
    const bad = w.waitFor(() => {
      throw new Error('matcher bug');
    }, 1000);
    const good = w.waitFor((f) => f.cmd === 7, 1000);
    expect(w.resolve({ cmd: 7, seq: 1 })).toBe(true);
    await expect(bad.promise).rejects.toThrow('matcher bug');
    await expect(good.promise).resolves.toMatchObject({ cmd: 7 });
  });

  it('rejectAll rejects every pending waiter with the given error', async () => {
    const w = new Waitress<Frame>();
    const a = w.waitFor(() => true, 1000);
    const b = w.waitFor(() => true, 1000);
    const offline = new KioskError(ErrorCode.DeviceOffline, 'acceptor offline');
    w.rejectAll(offline);
    await expect(a.promise).rejects.toBe(offline);
    await expect(b.promise).rejects.toBe(offline);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a bad timeout or matcher with a KioskError, registering nothing', () => {
    const w = new Waitress<Frame>();
    for (const t of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => w.waitFor(() => true, t)).toThrow(/timeoutMs/);
    }
    expect(() => w.waitFor(undefined as unknown as () => boolean, 10)).toThrow(KioskError);
    expect(w.size).toBe(0);
  });
});
