import { describe, expect, it } from 'vitest';
import { hexBytes, TRACE_MAX_BYTES, traceEntry } from '../../devices/transport/byte-trace.js';

describe('hexBytes', () => {
  it('writes upper-case pairs separated by single spaces', () => {
    expect(hexBytes(Uint8Array.of(0xfc, 0x05, 0x11, 0x27, 0x56))).toBe('FC 05 11 27 56');
    expect(hexBytes(Uint8Array.of(0x00, 0x0a, 0xff))).toBe('00 0A FF');
  });

  it('writes nothing for no bytes', () => {
    expect(hexBytes(new Uint8Array(0))).toBe('');
  });

  it('cuts a long chunk and says how much was cut', () => {
    expect(hexBytes(Uint8Array.of(1, 2, 3, 4), 2)).toBe('01 02 …(+2 bytes)');
    expect(hexBytes(Uint8Array.of(1, 2), 0)).toBe('…(+2 bytes)');
    const long = hexBytes(new Uint8Array(TRACE_MAX_BYTES + 10));
    expect(long.endsWith('…(+10 bytes)')).toBe(true);
    expect(long.split(' ').length).toBe(TRACE_MAX_BYTES + 2); // the summary itself holds one space
  });
});

describe('traceEntry', () => {
  it('carries direction, hex and time since open rounded to the microsecond', () => {
    expect(traceEntry('tx', Uint8Array.of(0xfc, 0x05), 12.34567891)).toEqual({
      dir: 'tx',
      hex: 'FC 05',
      t: 12.346,
    });
    expect(traceEntry('rx', Buffer.from([0x50]), 0)).toEqual({ dir: 'rx', hex: '50', t: 0 });
  });
});
