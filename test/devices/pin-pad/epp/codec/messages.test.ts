import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../../core/errors.js';
import {
  decodeCommand,
  decodeFrame,
  decodePadMessage,
  EppFrameParser,
  type EppHostCommand,
  type EppPadMessage,
  ETX,
  encodeCommand,
  encodePadMessage,
  STX,
} from '../../../../../devices/pin-pad/epp/codec/index.js';
import { ascii, commandArb, concat, frameArb, fromHex, padMessageArb, splitAt } from './arbitraries.js';

const wire = (text: string) => concat([Uint8Array.of(STX), ascii(text), Uint8Array.of(ETX)]);

// Hand-built from docs/devices/epp.md (the table of example frames there).
const GOLDEN_COMMANDS: [EppHostCommand, string][] = [
  [{ kind: 'reset' }, '013031'],
  [{ kind: 'getStatus' }, '013130'],
  [{ kind: 'beep', durationMs: 200 }, '033200C8F9'],
  [
    { kind: 'startPinEntry', minLength: 6, maxLength: 6, timeoutMs: 30_000, autoEnd: true },
    '0840060600007530010C',
  ],
  [
    { kind: 'startDataEntry', minLength: 11, maxLength: 11, timeoutMs: 60_000, autoEnd: true },
    '08410B0B0000EA6001C2',
  ],
  [{ kind: 'cancelEntry' }, '014243'],
  [{ kind: 'getPinBlock', format: 'iso0', account: '13800138000' }, '0D430031333830303133383030307E'],
];

const GOLDEN_PAD_MESSAGES: [EppPadMessage, string][] = [
  [{ kind: 'done', command: 'reset' }, '02300032'],
  [{ kind: 'pinKey', key: 'digit' }, '02502A78'],
  [{ kind: 'pinKey', key: 'enter' }, '02500D5F'],
  [{ kind: 'dataKey', key: 'digit', digit: '5' }, '02513566'],
  [{ kind: 'pinEntryEnded', completion: 'enter', digits: 6 }, '0352000657'],
  [{ kind: 'dataEntryEnded', completion: 'enter', value: '13800138000' }, '0D530031333830303133383030306E'],
  [{ kind: 'error', commandCode: 0x43, error: 'noPin', errorCode: 0xe3 }, '0243E3A2'],
  [{ kind: 'error', commandCode: 0x43, error: 'dukptOverflow', errorCode: 0xe4 }, '0243E4A5'],
  [
    {
      kind: 'pinBlock',
      format: 'iso0',
      pinBlock: fromHex('1B9C1845EB993A7A'),
      ksn: fromHex('FFFF9876543210E00001'),
    },
    '154300001B9C1845EB993A7AFFFF9876543210E00001C7',
  ],
  [
    {
      kind: 'status',
      state: 'idle',
      keyScheme: 'dukptTdes',
      pinReady: false,
      model: 'EPP-SIM',
      serial: '0001',
      firmware: '1.0.0',
    },
    '183100000100074550502D53494D043030303105312E302E3021',
  ],
];

describe('EPP messages', () => {
  it('encodes and decodes the golden host commands', () => {
    for (const [command, text] of GOLDEN_COMMANDS) {
      expect(encodeCommand(command), command.kind).toEqual(wire(text));
      expect(decodeCommand(decodeFrame(wire(text)))).toEqual(command);
    }
  });

  it('encodes and decodes the golden pad messages', () => {
    for (const [message, text] of GOLDEN_PAD_MESSAGES) {
      expect(encodePadMessage(message), message.kind).toEqual(wire(text));
      expect(decodePadMessage(decodeFrame(wire(text)))).toEqual(message);
    }
  });

  it('any command and any pad message survive encode → chunked stream → decode', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            commandArb.map((c) => ({ c })),
            padMessageArb.map((m) => ({ m })),
          ),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, points) => {
          const stream = concat(messages.map((x) => ('c' in x ? encodeCommand(x.c) : encodePadMessage(x.m))));
          const parser = new EppFrameParser();
          const items = splitAt(stream, points).flatMap((chunk) => parser.push(chunk));
          const decoded = items.map((item, i) => {
            if (item.kind !== 'frame') throw new Error('no raw keys expected');
            return 'c' in messages[i]!
              ? { c: decodeCommand(item.frame) }
              : { m: decodePadMessage(item.frame) };
          });
          expect(decoded).toEqual(messages);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('key events arriving between and around replies decode in stream order', () => {
    // The pad answers startPinEntry, the customer types two digits and a backspace while the
    // host asks for status, then presses enter.
    const stream = concat(
      [
        '02400042',
        '02502A78',
        '02502A78',
        '183100010100074550502D53494D043030303105312E302E3020',
        '0250085A',
        '02500D5F',
        '0352000150',
      ].map(wire),
    );
    const parser = new EppFrameParser();
    const messages = splitAt(stream, [3, 17, 40, 41, 90]).flatMap((chunk) =>
      parser.push(chunk).map((item) => (item.kind === 'frame' ? decodePadMessage(item.frame) : item)),
    );
    expect(messages.map((m) => ('key' in m ? `${m.kind}:${m.key}` : m.kind))).toEqual([
      'done',
      'pinKey:digit',
      'pinKey:digit',
      'status',
      'pinKey:backspace',
      'pinKey:enter',
      'pinEntryEnded',
    ]);
    expect(messages.at(-1)).toEqual({ kind: 'pinEntryEnded', completion: 'enter', digits: 1 });
  });

  it('a PIN key event cannot carry a digit: a digit byte in one is unrecognised', () => {
    const message = decodePadMessage({ code: 0x50, params: ascii('5') });
    expect(message.kind).toBe('unrecognised');
    // ...and a masked digit has no place in data entry.
    expect(decodePadMessage({ code: 0x51, params: Uint8Array.of(0x2a) }).kind).toBe('unrecognised');
  });

  it('decoders never throw on any frame, and say why they could not read it', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const command = decodeCommand(frame);
        const message = decodePadMessage(frame);
        if (message.kind === 'unrecognised') expect(message.reason.length).toBeGreaterThan(0);
        expect(command.kind).toBeTypeOf('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('a known command with parameters that do not fit is malformed, an unknown code is unknown', () => {
    expect(decodeCommand({ code: 0x30, params: Uint8Array.of(1) })).toMatchObject({ malformed: true });
    // Minimum PIN length 3 is below what a PIN block can hold.
    expect(decodeCommand({ code: 0x40, params: fromHex('03060000753001') })).toMatchObject({
      malformed: true,
    });
    expect(decodeCommand({ code: 0x43, params: concat([Uint8Array.of(0x01), ascii('138')]) })).toMatchObject({
      malformed: true,
    });
    expect(decodeCommand({ code: 0x7a, params: new Uint8Array(0) })).toEqual({
      kind: 'unknownCommand',
      code: 0x7a,
      params: new Uint8Array(0),
    });
  });

  it('a vendor error code E9–EE decodes as unknown with its code', () => {
    expect(decodePadMessage({ code: 0x31, params: Uint8Array.of(0xeb) })).toEqual({
      kind: 'error',
      commandCode: 0x31,
      error: 'unknown',
      errorCode: 0xeb,
    });
  });

  it('refuses to encode what the protocol cannot express, with DeviceBadArgument', () => {
    const bad: EppHostCommand[] = [
      { kind: 'beep', durationMs: 0 },
      { kind: 'startPinEntry', minLength: 3, maxLength: 6, timeoutMs: 1000, autoEnd: false },
      { kind: 'startPinEntry', minLength: 6, maxLength: 5, timeoutMs: 1000, autoEnd: false },
      { kind: 'startPinEntry', minLength: 4, maxLength: 13, timeoutMs: 1000, autoEnd: false },
      { kind: 'startDataEntry', minLength: 1, maxLength: 11, timeoutMs: 0, autoEnd: false },
      { kind: 'getPinBlock', format: 'iso3' as 'iso0', account: '13800138000' },
      { kind: 'getPinBlock', format: 'iso0', account: '1380013800a' },
      { kind: 'getPinBlock', format: 'iso0', account: '' },
    ];
    for (const command of bad) {
      expect(() => encodeCommand(command), JSON.stringify(command)).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
    const badMessages: EppPadMessage[] = [
      { kind: 'pinBlock', format: 'iso0', pinBlock: new Uint8Array(16), ksn: new Uint8Array(10) },
      { kind: 'pinBlock', format: 'iso4', pinBlock: new Uint8Array(16), ksn: new Uint8Array(10) },
      { kind: 'pinEntryEnded', completion: 'enter', digits: 13 },
      { kind: 'dataKey', key: 'digit', digit: '12' },
      { kind: 'error', commandCode: 0x43, error: 'noPin', errorCode: 0xe4 },
      // Codes 50–5F are events: an error reply there would read as one.
      { kind: 'error', commandCode: 0x52, error: 'busy', errorCode: 0xe2 },
      { kind: 'done', command: 'getPinBlock' as 'reset' },
      {
        kind: 'status',
        state: 'idle',
        keyScheme: 'dukptTdes',
        pinReady: false,
        model: '型号',
        serial: '',
        firmware: '',
      },
    ];
    for (const message of badMessages) {
      expect(() => encodePadMessage(message), JSON.stringify(message)).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
  });
});
