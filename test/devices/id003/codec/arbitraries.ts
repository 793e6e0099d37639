import fc from 'fast-check';
import {
  type AcceptorReply,
  ESCROW_CODE_BARCODE_TICKET,
  encodeFrame,
  FAILURE_CODES,
  GET_REQUEST_CODES,
  type HostCommand,
  Id003Command,
  type Id003Frame,
  REJECT_REASONS,
  STATUS_CODES,
} from '../../../../devices/cash-acceptor/id003/codec/index.js';

const byte = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

const knownCommandCodes = new Set<number>(Object.values(Id003Command));
const knownReplyCodes = new Set<number>([
  ...Object.values(STATUS_CODES),
  0x13,
  0x17,
  0x49,
  0x50,
  ...[0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7],
  ...[0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0x89, 0x8a],
]);

export const hostCommandArb: fc.Arbitrary<HostCommand> = fc.oneof(
  fc.constantFrom(
    ...(['statusRequest', 'ack', 'reset', 'stack1', 'stack2', 'return', 'hold', 'wait'] as const).map(
      (kind) => ({ kind }) as HostCommand,
    ),
  ),
  u16.map((disabledMask) => ({ kind: 'setEnable', disabledMask }) as const),
  u16.map((mask) => ({ kind: 'setSecurity', mask }) as const),
  byte.map((mode) => ({ kind: 'setCommunicationMode', mode }) as const),
  fc.boolean().map((inhibit) => ({ kind: 'setInhibit', inhibit }) as const),
  byte.map((mask) => ({ kind: 'setDirection', mask }) as const),
  u16.map((value) => ({ kind: 'setOptionalFunction', value }) as const),
  bytes(1, 12).map((data) => ({ kind: 'setBarcodeFunction', data }) as const),
  byte.map((value) => ({ kind: 'setBarInhibit', value }) as const),
  fc
    .constantFrom(...(Object.keys(GET_REQUEST_CODES) as (keyof typeof GET_REQUEST_CODES)[]))
    .map((what) => ({ kind: 'get', what }) as const),
  fc
    .tuple(
      byte.filter((code) => !knownCommandCodes.has(code)),
      bytes(0, 20),
    )
    .map(([code, data]) => ({ kind: 'unknownCommand', code, data }) as const),
);

const latin1Text = fc
  .array(fc.integer({ min: 0, max: 0xff }), { maxLength: 40 })
  .map((codes) => String.fromCharCode(...codes));

export const acceptorReplyArb: fc.Arbitrary<AcceptorReply> = fc.oneof(
  fc
    .constantFrom(...(Object.keys(STATUS_CODES) as (keyof typeof STATUS_CODES)[]))
    .map((status) => ({ kind: 'status', status }) as const),
  byte.map((escrowCode) => ({ kind: 'escrow', escrowCode }) as const),
  bytes(1, 24).map(
    (barcode) => ({ kind: 'escrow', escrowCode: ESCROW_CODE_BARCODE_TICKET, barcode }) as const,
  ),
  byte.map(
    (reasonCode) =>
      ({ kind: 'rejecting', reasonCode, reason: REJECT_REASONS[reasonCode] ?? 'unknown' }) as const,
  ),
  byte.map(
    (failureCode) =>
      ({ kind: 'failure', failureCode, failure: FAILURE_CODES[failureCode] ?? 'unknown' }) as const,
  ),
  fc.constant({ kind: 'ack' } as const),
  fc
    .oneof(
      fc.tuple(fc.constantFrom(0xc0, 0xc1), bytes(2, 2)),
      fc.tuple(fc.constantFrom(0xc2, 0xc3, 0xc4, 0xc7), bytes(1, 1)),
      fc.tuple(fc.constantFrom(0xc5, 0xc6), bytes(1, 8)),
    )
    .map(([command, data]) => ({ kind: 'settingEcho', command, data }) as const),
  fc
    .oneof(
      fc.tuple(fc.constantFrom(0x80, 0x81), bytes(2, 2)),
      fc.tuple(fc.constantFrom(0x82, 0x83, 0x84), bytes(1, 1)),
      fc.tuple(fc.constant(0x85), bytes(1, 8)),
    )
    .map(([request, data]) => ({ kind: 'settingReport', request, data }) as const),
  latin1Text.map((text) => ({ kind: 'version', text }) as const),
  latin1Text.map((text) => ({ kind: 'bootVersion', text }) as const),
  fc
    .array(fc.record({ escrowCode: byte, countryCode: byte, base: byte, exponent: byte }), { maxLength: 16 })
    .map((entries) => ({ kind: 'currencyAssignment', entries }) as const),
  fc
    .tuple(
      byte.filter((code) => !knownReplyCodes.has(code)),
      bytes(0, 20),
    )
    .map(([code, data]) => ({ kind: 'unknownStatus', code, data }) as const),
);

/** Any frame: code and data arbitrary, data biased to contain the sync byte. */
export const frameArb: fc.Arbitrary<Id003Frame> = fc.record({
  code: byte,
  data: fc
    .array(fc.oneof(byte, fc.constant(0xfc)), { maxLength: 40 })
    .map((values) => Uint8Array.from(values)),
});

export const frameBytes = (frame: Id003Frame): Uint8Array => encodeFrame(frame.code, frame.data);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `bytes` at the given positions (any order, duplicates allowed). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export const hex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');

export const fromHex = (text: string): Uint8Array =>
  Uint8Array.from(text.split(' ').map((h) => Number.parseInt(h, 16)));
