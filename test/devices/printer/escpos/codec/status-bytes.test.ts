import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../../core/errors.js';
import {
  decodeAsb,
  decodeRealtimeStatus,
  isAsbFirstByte,
  isAsbFollowingByte,
  isRealtimeReply,
} from '../../../../../devices/printer/escpos/codec/index.js';
import { IDLE_PRINTER_CONDITION } from '../../../../../devices/printer/printer-status.js';
import { asbMessageArb, fromHex, realtimeReplyArb } from './arbitraries.js';

describe('status byte classes', () => {
  it('no byte is two things at once, and XON/XOFF are none of the status kinds', () => {
    for (let b = 0; b < 256; b++) {
      const kinds = [isAsbFirstByte(b), isRealtimeReply(b), isAsbFollowingByte(b)].filter(Boolean);
      expect(kinds.length).toBeLessThanOrEqual(1);
    }
    for (const flow of [0x11, 0x13]) {
      expect([isAsbFirstByte(flow), isRealtimeReply(flow), isAsbFollowingByte(flow)]).toEqual([
        false,
        false,
        false,
      ]);
    }
  });
});

describe('decodeRealtimeStatus (DLE EOT n replies, bits from PROTOCOLS.md)', () => {
  it('n=1: bit 3 offline', () => {
    expect(decodeRealtimeStatus(1, 0x12)).toEqual({ offline: false });
    expect(decodeRealtimeStatus(1, 0x1a)).toEqual({ offline: true });
  });

  it('n=2: bit 2 cover open, bit 3 feeding by button, bit 5 stopped at paper end', () => {
    expect(decodeRealtimeStatus(2, 0x12)).toEqual({ coverOpen: false, feedingByButton: false });
    expect(decodeRealtimeStatus(2, 0x16)).toEqual({ coverOpen: true, feedingByButton: false });
    expect(decodeRealtimeStatus(2, 0x1a)).toEqual({ coverOpen: false, feedingByButton: true });
    expect(decodeRealtimeStatus(2, 0x32)).toEqual({ coverOpen: false, feedingByButton: false, paper: 'out' });
  });

  it('n=3: bit 3 autocutter, bit 5 unrecoverable, bit 6 auto-recoverable', () => {
    expect(decodeRealtimeStatus(3, 0x1a)).toEqual({
      cutterError: true,
      unrecoverableError: false,
      autoRecoverableError: false,
    });
    expect(decodeRealtimeStatus(3, 0x72)).toEqual({
      cutterError: false,
      unrecoverableError: true,
      autoRecoverableError: true,
    });
  });

  it('n=4: bits 2–3 near end, bits 5–6 paper end (end wins)', () => {
    expect(decodeRealtimeStatus(4, 0x12)).toEqual({ paper: 'ok' });
    expect(decodeRealtimeStatus(4, 0x1e)).toEqual({ paper: 'nearEnd' });
    expect(decodeRealtimeStatus(4, 0x72)).toEqual({ paper: 'out' });
    expect(decodeRealtimeStatus(4, 0x7e)).toEqual({ paper: 'out' });
  });

  it('refuses a byte without the reply fixed bits, as a protocol error', () => {
    for (const b of [0x10, 0x11, 0x13, 0x92, 0x02]) {
      try {
        decodeRealtimeStatus(4, b);
        throw new Error('expected a refusal');
      } catch (err) {
        expect(isKioskError(err, ErrorCode.DeviceProtocol)).toBe(true);
      }
    }
  });

  it('decodes every valid reply for every query without throwing', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>, realtimeReplyArb, (q, b) => {
        expect(() => decodeRealtimeStatus(q, b)).not.toThrow();
      }),
    );
  });
});

describe('decodeAsb', () => {
  it('an idle printer', () => {
    expect(decodeAsb(fromHex('10 00 00 00'))).toEqual(IDLE_PRINTER_CONDITION);
  });

  it('byte 1: bit 3 offline, bit 5 cover open, bit 6 feeding by button', () => {
    expect(decodeAsb(fromHex('38 00 00 00'))).toMatchObject({ offline: true, coverOpen: true });
    expect(decodeAsb(fromHex('50 00 00 00'))).toMatchObject({ feedingByButton: true, offline: false });
  });

  it('byte 2: 08 autocutter, 20 unrecoverable, 40 auto-recoverable', () => {
    expect(decodeAsb(fromHex('18 08 00 00'))).toMatchObject({ cutterError: true, unrecoverableError: false });
    expect(decodeAsb(fromHex('18 20 00 00'))).toMatchObject({ unrecoverableError: true, cutterError: false });
    expect(decodeAsb(fromHex('10 40 00 00'))).toMatchObject({ autoRecoverableError: true });
  });

  it('byte 3: 03 paper near end, 0C paper end', () => {
    expect(decodeAsb(fromHex('10 00 03 00')).paper).toBe('nearEnd');
    expect(decodeAsb(fromHex('18 00 0C 00')).paper).toBe('out');
    expect(decodeAsb(fromHex('18 00 0F 00')).paper).toBe('out');
  });

  it('decodes every well-formed message and refuses anything else', () => {
    fc.assert(
      fc.property(asbMessageArb, (m) => {
        expect(() => decodeAsb(m)).not.toThrow();
      }),
    );
    for (const bad of ['12 00 00 00', '10 10 00 00', '10 00 00', '10 00 00 00 00']) {
      expect(() => decodeAsb(fromHex(bad))).toThrow(/not an ASB message/);
    }
  });
});
