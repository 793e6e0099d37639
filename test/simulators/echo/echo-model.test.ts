import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import { EchoModel, echoModelFactory } from '../../../simulators/echo/echo-model.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('EchoModel', () => {
  it('speaks 9600 8N1 unless told otherwise', () => {
    expect(new EchoModel().line).toEqual({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xonxoff: false,
    });
    expect(echoModelFactory.create({ baudRate: 19200, parity: 'even' }).line).toMatchObject({
      baudRate: 19200,
      parity: 'even',
    });
  });

  it('echoes each received chunk as one chunk after the answer delay', () => {
    const m = new EchoModel();
    m.receive(Uint8Array.of(1, 2, 3), 10);
    m.receive(Uint8Array.of(4), 10.5);
    expect(m.nextDeadline()).toBe(12);
    expect(m.advance(11.9)).toEqual([]);
    expect(m.advance(12)).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(m.nextDeadline()).toBe(12.5);
    expect(m.advance(20)).toEqual([Uint8Array.of(4)]);
    expect(m.nextDeadline()).toBeUndefined();
    expect(m.snapshot()).toEqual({ power: 'on', muted: false, bytesIn: 4, bytesOut: 4, pendingChunks: 0 });
  });

  it('keeps its own copy of received bytes', () => {
    const m = new EchoModel({ answerDelayMs: 0 });
    const bytes = Uint8Array.of(9, 9);
    m.receive(bytes, 0);
    bytes[0] = 0;
    expect(m.advance(0)).toEqual([Uint8Array.of(9, 9)]);
  });

  it('goes silent on power.cut, forgetting pending echoes, and answers again after power.on', () => {
    const m = new EchoModel();
    m.receive(Uint8Array.of(1), 0);
    expect(m.control({ action: 'power.cut' }, 1)).toMatchObject({ power: 'off', pendingChunks: 0 });
    expect(m.advance(5)).toEqual([]);
    m.receive(Uint8Array.of(2), 6);
    expect(m.nextDeadline()).toBeUndefined();
    m.control({ action: 'power.on' }, 7);
    m.receive(Uint8Array.of(3), 8);
    expect(m.advance(10)).toEqual([Uint8Array.of(3)]);
    expect(m.snapshot()).toMatchObject({ bytesIn: 2, bytesOut: 1 });
  });

  it('counts input but never answers while muted', () => {
    const m = new EchoModel();
    m.control({ action: 'mute', on: true }, 0);
    m.receive(Uint8Array.of(1, 2), 1);
    expect(m.nextDeadline()).toBeUndefined();
    expect(m.advance(100)).toEqual([]);
    expect(m.snapshot()).toMatchObject({ muted: true, bytesIn: 2, bytesOut: 0 });
    m.control({ action: 'mute', on: false }, 101);
    m.receive(Uint8Array.of(3), 102);
    expect(m.advance(104)).toEqual([Uint8Array.of(3)]);
  });

  it('rejects bad controls naming the field and changes nothing', () => {
    const m = new EchoModel();
    m.receive(Uint8Array.of(1), 0);
    const before = m.snapshot();
    const cases: [unknown, string][] = [
      [{ action: 'mute' }, 'on'],
      [{ action: 'mute', on: 'yes' }, 'on'],
      [{ action: 'power.cut', now: true }, 'now'],
      [{ action: 'explode' }, 'explode'],
      [{ on: true }, 'action'],
      ['power.cut', 'action'],
      [null, 'action'],
    ];
    for (const [command, field] of cases) {
      const error = thrown(() => m.control(command, 1));
      expect(isKioskError(error, ErrorCode.SimBadControl)).toBe(true);
      expect((error as Error).message).toContain(field);
      expect(m.snapshot()).toEqual(before);
    }
  });

  it('rejects bad options with ConfigInvalid naming the option', () => {
    for (const [options, field] of [
      [{ baudRate: -5 }, 'baudRate'],
      [{ parity: 'mark' }, 'parity'],
      [{ answerDelayMs: 'soon' }, 'answerDelayMs'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const error = thrown(() => echoModelFactory.create(options as Record<string, unknown>));
      expect(isKioskError(error, ErrorCode.ConfigInvalid)).toBe(true);
      expect((error as Error).message).toContain(field);
    }
  });
});
