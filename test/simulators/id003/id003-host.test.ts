import { describe, expect, it } from 'vitest';
import {
  decodeReply,
  encodeCommand,
  Id003FrameParser,
} from '../../../devices/cash-acceptor/id003/codec/index.js';
import { ManualClock } from '../../../simulators/harness/manual-clock.js';
import { createSimulatorHost } from '../../../simulators/registry.js';

const BYTE_8E1_MS = 11 / 9.6;

describe('id003 simulator behind the SimulatorHost', () => {
  it('is found by kind and answers a poll after wire time in, 3 ms turn-around and wire time out', () => {
    const clock = new ManualClock(1000);
    const host = createSimulatorHost('id003', { clock, seed: 1 });
    const parser = new Id003FrameParser();
    const received: Array<{ at: number; reply: ReturnType<typeof decodeReply> }> = [];
    host.onToHost((bytes) => {
      for (const frame of parser.push(bytes)) received.push({ at: clock.now(), reply: decodeReply(frame) });
    });
    host.fromHost(encodeCommand({ kind: 'statusRequest' }));
    clock.advanceBy(100);
    expect(received).toHaveLength(1);
    expect(received[0]!.reply).toEqual({ kind: 'status', status: 'powerUp' });
    expect(received[0]!.at - 1000).toBeCloseTo(5 * BYTE_8E1_MS + 3 + 5 * BYTE_8E1_MS, 6);

    host.control({ action: 'power.cut' });
    host.fromHost(encodeCommand({ kind: 'statusRequest' }));
    clock.advanceBy(100);
    expect(received).toHaveLength(1);
    expect(
      (host.snapshot().model as { counters: { bytesLostWhileOff: number } }).counters.bytesLostWhileOff,
    ).toBe(5);
    host.close();
  });
});
