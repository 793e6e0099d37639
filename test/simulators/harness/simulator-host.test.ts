import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import type { LineSettings } from '../../../core/line-settings.js';
import { EchoModel } from '../../../simulators/echo/echo-model.js';
import type { DeviceModel } from '../../../simulators/harness/device-model.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { SimulatorHost, type SimulatorHostOptions } from '../../../simulators/harness/simulator-host.js';

const BYTE_8N1 = 10 / 9.6;

function echoHost(options: SimulatorHostOptions = {}) {
  const clock = new ManualClock(1000);
  const host = new SimulatorHost(new EchoModel(), { clock, seed: 1, ...options });
  const received: { at: number; bytes: number[] }[] = [];
  const unsubscribe = host.onToHost((bytes) => received.push({ at: clock.now(), bytes: Array.from(bytes) }));
  return { clock, host, received, unsubscribe };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('SimulatorHost with the echo model', () => {
  it('echoes after wire time in, answer delay, and wire time out', () => {
    const { clock, host, received } = echoHost();
    host.fromHost(Uint8Array.of(1, 2, 3));
    clock.advanceBy(100);
    expect(received).toHaveLength(1);
    expect(received[0]!.bytes).toEqual([1, 2, 3]);
    // 3 bytes to the device, 2 ms to answer, 3 bytes back.
    expect(received[0]!.at - 1000).toBeCloseTo(3 * BYTE_8N1 + 2 + 3 * BYTE_8N1, 6);
  });

  it('delivers synchronously-timed echoes with wire time off', () => {
    const { clock, host, received } = echoHost({ wireTime: false });
    host.fromHost(Uint8Array.of(7));
    clock.advanceBy(1.999);
    expect(received).toHaveLength(0);
    clock.advanceBy(0.001);
    expect(received).toEqual([{ at: 1002, bytes: [7] }]);
  });

  it('arms no timer while the device is idle', () => {
    const { clock, host } = echoHost();
    expect(clock.pendingTimers()).toBe(0);
    host.fromHost(Uint8Array.of(1));
    expect(clock.pendingTimers()).toBe(1);
    clock.advanceBy(50);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps one timer however much traffic is in flight', () => {
    const { clock, host, received } = echoHost();
    for (let i = 0; i < 20; i++) host.fromHost(Uint8Array.of(i));
    expect(clock.pendingTimers()).toBe(1);
    clock.advanceBy(200);
    expect(received.map((r) => r.bytes[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops delivering to an unsubscribed listener', () => {
    const { clock, host, received, unsubscribe } = echoHost({ wireTime: false });
    unsubscribe();
    host.fromHost(Uint8Array.of(1));
    clock.advanceBy(10);
    expect(received).toEqual([]);
  });

  it('loses bytes both ways while unplugged, including those on the wire, and emits events', () => {
    const { clock, host, received } = echoHost();
    const events: string[] = [];
    host.on('unplug', () => events.push('unplug'));
    host.on('plug', () => events.push('plug'));
    host.fromHost(Uint8Array.of(1, 2, 3));
    clock.advanceBy(4); // echo is on its way back
    expect(host.control({ action: 'cable.unplug' })).toEqual({ cable: 'unplugged' });
    host.fromHost(Uint8Array.of(4));
    clock.advanceBy(100);
    expect(received).toEqual([]);
    expect(host.snapshot()).toMatchObject({ cable: 'unplugged', line: { lostChunks: 2 } });
    expect((host.snapshot().model as { bytesIn: number }).bytesIn).toBe(3);
    host.control({ action: 'cable.plug' });
    host.fromHost(Uint8Array.of(5));
    clock.advanceBy(100);
    expect(received.map((r) => r.bytes)).toEqual([[5]]);
    expect(events).toEqual(['unplug', 'plug']);
  });

  it('applies line.set at run time and reports it in the snapshot', () => {
    const { clock, host, received } = echoHost({ wireTime: false });
    const result = host.control({ action: 'line.set', latencyMs: 10, dropRate: 0, corruptRate: 1 });
    expect(result).toMatchObject({ line: { latencyMs: 10, corruptRate: 1 } });
    host.fromHost(Uint8Array.of(0));
    clock.advanceBy(21.9);
    expect(received).toHaveLength(0);
    clock.advanceBy(0.1);
    expect(received).toHaveLength(1);
    // Corrupted going in and again coming back: one or two bits differ (or the flips cancel).
    expect(host.snapshot().line).toMatchObject({ corruptedChunks: 2, latencyMs: 10, seed: 1 });
  });

  it('passes other actions to the model and returns its result', () => {
    const { clock, host, received } = echoHost({ wireTime: false });
    expect(host.control({ action: 'mute', on: true })).toMatchObject({ muted: true });
    host.fromHost(Uint8Array.of(1));
    clock.advanceBy(10);
    expect(received).toEqual([]);
  });

  it('rejects bad commands with SimBadControl and changes nothing', () => {
    const { host } = echoHost();
    host.control({ action: 'line.set', latencyMs: 3 });
    const before = JSON.stringify(host.snapshot());
    const cases: [unknown, string][] = [
      [{ action: 'line.set', latencyMs: -1 }, 'latencyMs'],
      [{ action: 'line.set', corruptRate: 0.1, bogus: 1 }, 'bogus'],
      [{ action: 'cable.unplug', now: true }, 'now'],
      [{ action: 'warp' }, 'warp'],
      [{ action: 42 }, 'action'],
      [[], 'action'],
    ];
    for (const [command, field] of cases) {
      const error = thrown(() => host.control(command));
      expect(isKioskError(error, ErrorCode.SimBadControl)).toBe(true);
      expect((error as Error).message).toContain(field);
      expect(JSON.stringify(host.snapshot())).toBe(before);
    }
  });

  it('lets one owner attach at a time', () => {
    const { host } = echoHost();
    const release = host.attach('first');
    expect(
      isKioskError(
        thrown(() => host.attach('second')),
        ErrorCode.SimPortBusy,
      ),
    ).toBe(true);
    release();
    host.attach('second')();
  });

  it('clears its timer on close and emits close', () => {
    const { clock, host } = echoHost();
    let closed = 0;
    host.on('close', () => closed++);
    host.fromHost(Uint8Array.of(1));
    host.close();
    expect(clock.pendingTimers()).toBe(0);
    expect(closed).toBe(1);
    host.fromHost(Uint8Array.of(1));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not spin on a model whose deadline stays in the past', () => {
    const line: LineSettings = {
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xonxoff: false,
    };
    let advances = 0;
    const stuck: DeviceModel = {
      kind: 'stuck',
      line,
      receive: () => {},
      advance: () => {
        advances++;
        return [];
      },
      nextDeadline: () => 0,
      control: () => null,
      snapshot: () => ({}),
    };
    const clock = new ManualClock(1000);
    const host = new SimulatorHost(stuck, { clock });
    host.fromHost(Uint8Array.of(1));
    clock.advanceBy(10);
    // At most one advance per millisecond of model time, never an unbounded loop.
    expect(advances).toBeLessThanOrEqual(12);
    host.close();
  });

  it('falls silent and reports the fault when the model throws', () => {
    const { clock, host } = echoHost();
    const model = host.model as EchoModel;
    model.advance = () => {
      throw new Error('model bug');
    };
    host.fromHost(Uint8Array.of(1));
    clock.advanceBy(10);
    expect(host.snapshot().fault).toBe('model bug');
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('SimulatorHost with the real clock', () => {
  it('echoes a 6-byte chunk in roughly the wire time', async () => {
    const host = new SimulatorHost(new EchoModel({ answerDelayMs: 2 }), { seed: 1 });
    const start = performance.now();
    const echoed = new Promise<number>((resolve) => host.onToHost(() => resolve(performance.now() - start)));
    host.fromHost(Uint8Array.of(1, 2, 3, 4, 5, 6));
    const elapsed = await echoed;
    // 6.25 ms in, 2 ms delay, 6.25 ms out: 14.5 ms at best; timers add a little.
    expect(elapsed).toBeGreaterThanOrEqual(14);
    expect(elapsed).toBeLessThan(200);
    host.close();
  });
});

describe('SimulatorHost timing details', () => {
  it('lets a model answer at the very instant it receives, even right after an advance', () => {
    const line: LineSettings = {
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xonxoff: false,
    };
    // Ticks every 5 ms and answers input immediately.
    let tick = 5;
    let answerAt: number | undefined;
    const immediate: DeviceModel = {
      kind: 'immediate',
      line,
      receive: (_bytes, now) => {
        answerAt = now;
      },
      advance: (now) => {
        while (tick <= now) tick += 5;
        if (answerAt === undefined || answerAt > now) return [];
        answerAt = undefined;
        return [Uint8Array.of(0xaa)];
      },
      nextDeadline: () => Math.min(tick, answerAt ?? Infinity),
      control: () => null,
      snapshot: () => ({}),
    };
    const clock = new ManualClock(0);
    const host = new SimulatorHost(immediate, { clock, wireTime: false });
    const at: number[] = [];
    host.onToHost(() => at.push(clock.now()));
    host.fromHost(Uint8Array.of(1)); // arms the tick timer
    clock.advanceBy(5); // the 5 ms tick has just run
    host.fromHost(Uint8Array.of(2));
    expect(at).toEqual([0, 5]);
    host.close();
  });
});
