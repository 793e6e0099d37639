import fc from 'fast-check';
import {
  ACCOUNT_DIGITS_MAX,
  DATA_LENGTH_MAX,
  ENTRY_COMPLETIONS,
  EPP_ERROR_CODES,
  type EppFrame,
  type EppHostCommand,
  type EppPadMessage,
  EVENT_CODES_FIRST,
  EVENT_CODES_LAST,
  encodeFrame,
  KEY_BYTES,
  KEY_SCHEMES,
  MAX_PARAMS_BYTES,
  PAD_STATES,
  PIN_LENGTH_MAX,
} from '../../../../../devices/pin-pad/epp/codec/index.js';

export const frameArb: fc.Arbitrary<EppFrame> = fc.record({
  code: fc.integer({ min: 0, max: 0xff }),
  params: fc.uint8Array({ maxLength: 40 }),
});

export const largeFrameArb: fc.Arbitrary<EppFrame> = fc.record({
  code: fc.integer({ min: 0, max: 0xff }),
  params: fc.uint8Array({ maxLength: MAX_PARAMS_BYTES }),
});

export const frameBytes = (frame: EppFrame): Uint8Array => encodeFrame(frame.code, frame.params);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Cuts `bytes` at the given points (taken modulo its length). */
export function splitAt(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => (bytes.length === 0 ? 0 : p % bytes.length)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export const fromHex = (text: string): Uint8Array =>
  Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const printable = fc.stringMatching(/^[\x20-\x7e]{0,32}$/);

function entryArb(kind: 'startPinEntry' | 'startDataEntry', low: number, high: number) {
  return fc.tuple(fc.integer({ min: low, max: high }), fc.integer({ min: low, max: high })).chain(([a, b]) =>
    fc.record({
      kind: fc.constant(kind),
      minLength: fc.constant(Math.min(a, b)),
      maxLength: fc.constant(Math.max(a, b)),
      timeoutMs: fc.integer({ min: 1, max: 600_000 }),
      autoEnd: fc.boolean(),
    }),
  );
}

export const commandArb: fc.Arbitrary<EppHostCommand> = fc.oneof(
  fc.constantFrom<EppHostCommand>({ kind: 'reset' }, { kind: 'getStatus' }, { kind: 'cancelEntry' }),
  fc.record({ kind: fc.constant('beep' as const), durationMs: fc.integer({ min: 1, max: 10_000 }) }),
  entryArb('startPinEntry', 4, PIN_LENGTH_MAX),
  entryArb('startDataEntry', 1, DATA_LENGTH_MAX),
  fc.record({
    kind: fc.constant('getPinBlock' as const),
    format: fc.constantFrom('iso0' as const, 'iso4' as const),
    account: digits(1, ACCOUNT_DIGITS_MAX),
  }),
);

const keyName = fc.constantFrom(...(Object.keys(KEY_BYTES) as (keyof typeof KEY_BYTES)[]));
const completion = fc.constantFrom(...ENTRY_COMPLETIONS);

export const padMessageArb: fc.Arbitrary<EppPadMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('done' as const),
    command: fc.constantFrom(
      'reset' as const,
      'beep' as const,
      'startPinEntry' as const,
      'startDataEntry' as const,
      'cancelEntry' as const,
    ),
  }),
  fc.record({
    kind: fc.constant('status' as const),
    state: fc.constantFrom(...PAD_STATES),
    keyScheme: fc.constantFrom(...KEY_SCHEMES),
    pinReady: fc.boolean(),
    model: printable,
    serial: printable,
    firmware: printable,
  }),
  fc.constantFrom('iso0' as const, 'iso4' as const).chain((format) =>
    fc.record({
      kind: fc.constant('pinBlock' as const),
      format: fc.constant(format),
      pinBlock: fc.uint8Array({
        minLength: format === 'iso0' ? 8 : 16,
        maxLength: format === 'iso0' ? 8 : 16,
      }),
      ksn: fc.uint8Array({ minLength: format === 'iso0' ? 10 : 12, maxLength: format === 'iso0' ? 10 : 12 }),
    }),
  ),
  fc
    .tuple(
      fc.integer({ min: 0, max: 0xff }).filter((code) => code < EVENT_CODES_FIRST || code > EVENT_CODES_LAST),
      fc.integer({ min: 0xe0, max: 0xef }),
    )
    .map(([commandCode, errorCode]): EppPadMessage => {
      const name = (Object.entries(EPP_ERROR_CODES) as [keyof typeof EPP_ERROR_CODES, number][]).find(
        ([, code]) => code === errorCode,
      )?.[0];
      return { kind: 'error', commandCode, error: name ?? 'unknown', errorCode };
    }),
  fc.record({ kind: fc.constant('pinKey' as const), key: keyName }),
  fc.oneof(
    fc.record({
      kind: fc.constant('dataKey' as const),
      key: fc.constant('digit' as const),
      digit: digits(1, 1),
    }),
    fc.record({
      kind: fc.constant('dataKey' as const),
      key: fc.constantFrom('backspace' as const, 'clear' as const, 'enter' as const, 'cancel' as const),
    }),
  ),
  fc.record({
    kind: fc.constant('pinEntryEnded' as const),
    completion,
    digits: fc.integer({ min: 0, max: PIN_LENGTH_MAX }),
  }),
  fc.record({ kind: fc.constant('dataEntryEnded' as const), completion, value: digits(0, DATA_LENGTH_MAX) }),
);
