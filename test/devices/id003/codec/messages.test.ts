import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../../core/errors.js';
import {
  type AcceptorReply,
  decodeCommand,
  decodeFrame,
  decodeReply,
  encodeCommand,
  encodeFrame,
  encodeReply,
  type HostCommand,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';
import { acceptorReplyArb, frameArb, fromHex, hex, hostCommandArb } from './arbitraries.js';

const GOLDEN_COMMANDS: [string, HostCommand][] = [
  ['FC 05 11 27 56', { kind: 'statusRequest' }],
  ['FC 05 50 AA 05', { kind: 'ack' }],
  ['FC 05 40 2B 15', { kind: 'reset' }],
  ['FC 05 41 A2 04', { kind: 'stack1' }],
  ['FC 05 42 39 36', { kind: 'stack2' }],
  ['FC 05 43 B0 27', { kind: 'return' }],
  ['FC 05 44 0F 53', { kind: 'hold' }],
  ['FC 06 C3 01 8D C7', { kind: 'setInhibit', inhibit: true }],
  ['FC 06 C3 00 04 D6', { kind: 'setInhibit', inhibit: false }],
  ['FC 07 C0 00 00 2D B5', { kind: 'setEnable', disabledMask: 0 }],
];

const GOLDEN_REPLIES: [string, AcceptorReply][] = [
  ['FC 06 13 63 A2 D8', { kind: 'escrow', escrowCode: 0x63 }],
  ['FC 05 15 03 10', { kind: 'status', status: 'vendValid' }],
  // Same bytes as STATUS REQUEST / ACK / RESET: only the direction tells them apart.
  ['FC 05 11 27 56', { kind: 'status', status: 'idling' }],
  ['FC 05 50 AA 05', { kind: 'ack' }],
  ['FC 05 40 2B 15', { kind: 'status', status: 'powerUp' }],
  ['FC 06 C3 01 8D C7', { kind: 'settingEcho', command: 0xc3, data: Uint8Array.of(1) }],
];

function errorCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return isKioskError(error) ? error.code : -1;
  }
  return undefined;
}

describe('golden frames', () => {
  it.each(GOLDEN_COMMANDS)('command %s', (bytes, cmd) => {
    expect(hex(encodeCommand(cmd))).toBe(bytes);
    expect(decodeCommand(decodeFrame(fromHex(bytes)))).toEqual(cmd);
  });

  it.each(GOLDEN_REPLIES)('reply %s', (bytes, reply) => {
    expect(hex(encodeReply(reply))).toBe(bytes);
    expect(decodeReply(decodeFrame(fromHex(bytes)))).toEqual(reply);
  });
});

describe('round trips', () => {
  it('every HostCommand survives encode → decode', () => {
    fc.assert(
      fc.property(hostCommandArb, (cmd) => {
        expect(decodeCommand(decodeFrame(encodeCommand(cmd)))).toEqual(cmd);
      }),
      { numRuns: 500 },
    );
  });

  it('every AcceptorReply survives encode → decode', () => {
    fc.assert(
      fc.property(acceptorReplyArb, (reply) => {
        expect(decodeReply(decodeFrame(encodeReply(reply)))).toEqual(reply);
      }),
      { numRuns: 500 },
    );
  });

  it('any frame decodes without throwing and re-encodes to the same bytes, both directions', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeFrame(frame.code, frame.data);
        expect(encodeCommand(decodeCommand(frame))).toEqual(bytes);
        expect(encodeReply(decodeReply(frame))).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeReply', () => {
  it('names reject reasons and failures, unknown ones as "unknown"', () => {
    expect(decodeReply({ code: 0x17, data: Uint8Array.of(0x76) })).toEqual({
      kind: 'rejecting',
      reasonCode: 0x76,
      reason: 'identification',
    });
    expect(decodeReply({ code: 0x17, data: Uint8Array.of(0x7a) })).toEqual({
      kind: 'rejecting',
      reasonCode: 0x7a,
      reason: 'unknown',
    });
    expect(decodeReply({ code: 0x49, data: Uint8Array.of(0xa2) })).toEqual({
      kind: 'failure',
      failureCode: 0xa2,
      failure: 'stackMotor',
    });
    expect(decodeReply({ code: 0x49, data: Uint8Array.of(0x01) })).toMatchObject({ failure: 'unknown' });
  });

  it('turns an unknown status code into unknownStatus', () => {
    expect(decodeReply({ code: 0x1c, data: new Uint8Array(0) })).toEqual({
      kind: 'unknownStatus',
      code: 0x1c,
      data: new Uint8Array(0),
    });
  });

  it.each([
    ['ESCROW without its code byte', 0x13, []],
    ['ESCROW with two bytes, not a ticket', 0x13, [0x61, 0x62]],
    ['REJECTING without a reason', 0x17, []],
    ['FAILURE with two bytes', 0x49, [0xa2, 0x00]],
    ['IDLING with data', 0x11, [0x00]],
    ['ACK with data', 0x50, [0x00]],
    ['enable echo with one byte', 0xc0, [0x00]],
    ['inhibit echo with no data', 0xc3, []],
    ['enable report with three bytes', 0x80, [0, 0, 0]],
    ['currency table not in 4-byte blocks', 0x8a, [0x61, 0x00, 0x01]],
  ])('%s decodes as malformed unknownStatus', (_name, code, data) => {
    const frame = { code, data: Uint8Array.from(data) };
    expect(decodeReply(frame)).toEqual({ kind: 'unknownStatus', code, data: frame.data, malformed: true });
  });

  it('reads a ticket barcode after escrow code 0x6F', () => {
    const reply = decodeReply({ code: 0x13, data: Uint8Array.of(0x6f, 0x31, 0x32) });
    expect(reply).toEqual({ kind: 'escrow', escrowCode: 0x6f, barcode: Uint8Array.of(0x31, 0x32) });
  });

  it('reads the currency assignment in 4-byte blocks', () => {
    const data = Uint8Array.of(0x61, 0x9c, 1, 0, 0x65, 0x9c, 1, 2);
    expect(decodeReply({ code: 0x8a, data })).toEqual({
      kind: 'currencyAssignment',
      entries: [
        { escrowCode: 0x61, countryCode: 0x9c, base: 1, exponent: 0 },
        { escrowCode: 0x65, countryCode: 0x9c, base: 1, exponent: 2 },
      ],
    });
  });

  it('reads version text byte for byte', () => {
    const data = new TextEncoder().encode('i(CNY)-100-SS ID003-05V265-36 14NOV13');
    expect(decodeReply({ code: 0x88, data })).toEqual({
      kind: 'version',
      text: 'i(CNY)-100-SS ID003-05V265-36 14NOV13',
    });
  });
});

describe('decodeCommand', () => {
  it('puts bit n of the enable mask on escrow code 0x61+n, low byte first', () => {
    // Disable 0x61 (bit 0) and 0x69 (bit 8).
    expect(hex(encodeCommand({ kind: 'setEnable', disabledMask: 0x0101 }).subarray(3, 5))).toBe('01 01');
    expect(hex(encodeCommand({ kind: 'setEnable', disabledMask: 0x00fe }).subarray(3, 5))).toBe('FE 00');
  });

  it.each([
    ['RESET with data', 0x40, [0x00]],
    ['SET ENABLE with one byte', 0xc0, [0x00]],
    ['SET INHIBIT with 0x02', 0xc3, [0x02]],
    ['SET BARCODE with no data', 0xc6, []],
    ['GET VERSION with data', 0x88, [0x00]],
  ])('%s decodes as malformed unknownCommand', (_name, code, data) => {
    const frame = { code, data: Uint8Array.from(data) };
    expect(decodeCommand(frame)).toEqual({ kind: 'unknownCommand', code, data: frame.data, malformed: true });
  });

  it('turns an unknown command code into unknownCommand', () => {
    expect(decodeCommand({ code: 0x12, data: new Uint8Array(0) })).toEqual({
      kind: 'unknownCommand',
      code: 0x12,
      data: new Uint8Array(0),
    });
  });
});

describe('bad input to the encoders', () => {
  const badCommands: [string, unknown][] = [
    ['mask above 16 bits', { kind: 'setEnable', disabledMask: 0x10000 }],
    ['negative mask', { kind: 'setSecurity', mask: -1 }],
    ['fractional mode', { kind: 'setCommunicationMode', mode: 0.5 }],
    ['inhibit not boolean', { kind: 'setInhibit', inhibit: 1 }],
    ['direction above a byte', { kind: 'setDirection', mask: 256 }],
    ['empty barcode setting', { kind: 'setBarcodeFunction', data: new Uint8Array(0) }],
    ['unknown get target', { kind: 'get', what: 'serialNumber' }],
    ['unknown kind', { kind: 'dispense' }],
    ['unknown command code above a byte', { kind: 'unknownCommand', code: 300, data: new Uint8Array(0) }],
    ['not an object', null],
  ];
  it.each(badCommands)('encodeCommand refuses %s with DeviceBadArgument', (_name, cmd) => {
    expect(errorCode(() => encodeCommand(cmd as HostCommand))).toBe(ErrorCode.DeviceBadArgument);
  });

  const badReplies: [string, unknown][] = [
    ['unknown status name', { kind: 'status', status: 'escrow' }],
    ['escrow code above a byte', { kind: 'escrow', escrowCode: 0x100 }],
    ['barcode on a banknote', { kind: 'escrow', escrowCode: 0x61, barcode: Uint8Array.of(0x31) }],
    ['reason not matching its code', { kind: 'rejecting', reasonCode: 0x71, reason: 'magnetic' }],
    ['failure not matching its code', { kind: 'failure', failureCode: 0x01, failure: 'stackMotor' }],
    ['echo of a non-setting command', { kind: 'settingEcho', command: 0x41, data: Uint8Array.of(0) }],
    ['echo with the wrong length', { kind: 'settingEcho', command: 0xc0, data: Uint8Array.of(0) }],
    ['report of a non-request', { kind: 'settingReport', request: 0x88, data: Uint8Array.of(0) }],
    ['version with a wide character', { kind: 'version', text: '版本' }],
    ['version longer than a frame', { kind: 'bootVersion', text: 'x'.repeat(251) }],
    [
      'currency base above a byte',
      { kind: 'currencyAssignment', entries: [{ escrowCode: 0x61, countryCode: 0, base: 500, exponent: 0 }] },
    ],
    ['unknown kind', { kind: 'dispensed' }],
  ];
  it.each(badReplies)('encodeReply refuses %s with DeviceBadArgument', (_name, reply) => {
    expect(errorCode(() => encodeReply(reply as AcceptorReply))).toBe(ErrorCode.DeviceBadArgument);
  });

  it('lets a fault injector send a known code with the wrong data as unknownStatus', () => {
    expect(hex(encodeReply({ kind: 'unknownStatus', code: 0x13, data: new Uint8Array(0) }))).toBe(
      hex(encodeFrame(0x13)),
    );
  });
});
