import fc from 'fast-check';

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Cuts `bytes` at the given points (taken modulo its length), as a serial line might deliver it. */
export function splitAt(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const cuts = [...new Set(points.map((p) => p % bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export const cutsArb = fc.array(fc.nat(), { maxLength: 30 });

/** Bits 2, 3, 5, 6 are the variable ones in every first ASB byte and `DLE EOT` reply. */
const statusBits = fc
  .record({ b2: fc.boolean(), b3: fc.boolean(), b5: fc.boolean(), b6: fc.boolean() })
  .map(({ b2, b3, b5, b6 }) => (b2 ? 0x04 : 0) | (b3 ? 0x08 : 0) | (b5 ? 0x20 : 0) | (b6 ? 0x40 : 0));

/** Any byte with bit 7 and bit 4 clear: ASB bytes 2–4. */
const asbFollowingByte = fc.integer({ min: 0, max: 0xff }).map((b) => b & 0x6f);

export const asbMessageArb = fc
  .tuple(statusBits, asbFollowingByte, asbFollowingByte, asbFollowingByte)
  .map(([bits, b2, b3, b4]) => Uint8Array.of(0x10 | bits, b2, b3, b4));

export const realtimeReplyArb = statusBits.map((bits) => 0x12 | bits);

/** A message a printer sends: what the parser must report for it. */
export type SentMessage =
  | { kind: 'asb'; message: Uint8Array }
  | { kind: 'realtime'; query: 1 | 2 | 3 | 4; byte: number }
  | { kind: 'flow'; flow: 'xon' | 'xoff' };

export const sentMessageArb: fc.Arbitrary<SentMessage> = fc.oneof(
  asbMessageArb.map((message) => ({ kind: 'asb', message }) as const),
  fc
    .tuple(fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>, realtimeReplyArb)
    .map(([query, byte]) => ({ kind: 'realtime', query, byte }) as const),
  fc.constantFrom('xon', 'xoff').map((flow) => ({ kind: 'flow', flow }) as const),
);

export function sentBytes(message: SentMessage): Uint8Array {
  if (message.kind === 'asb') return message.message;
  if (message.kind === 'realtime') return Uint8Array.of(message.byte);
  return Uint8Array.of(message.flow === 'xon' ? 0x11 : 0x13);
}

/** Receipt-like text: ASCII words, spaces, CJK, full-width signs, and the troublesome ¥, emoji, controls. */
export const receiptTextArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('充', '值', '成', '功', '金', '额', '元', '，', '：', '￥', '·'),
      fc.constantFrom(' ', ' ', 'a', 'B', '1', '0', ':', '-', '.'),
      fc.constantFrom('¥', '£', '😀', '\u00a0', '\u0007', '\n', '\u001b', 'é', 'ｱ', '\ud800'),
      fc.string({ unit: 'grapheme', maxLength: 1 }),
    ),
    { maxLength: 120 },
  )
  .map((parts) => parts.join(''));
