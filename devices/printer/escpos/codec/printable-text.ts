import iconv from 'iconv-lite';
import { ErrorCode, KioskError } from '../../../../core/errors.js';

/**
 * One character as the printer will receive it: ASCII in one byte, everything else as a
 * two-byte GB18030 (GBK) code. Its width on paper is its byte count: a GBK printer prints every
 * double-byte code as a full-width glyph, so `é` (A8 A6) takes two columns like `充`.
 */
export interface PrintableChar {
  char: string;
  bytes: Uint8Array;
}

/**
 * What to do with a character the printer cannot print (control characters, and everything
 * GB18030 encodes in four bytes, which no GBK printer font holds): `replace` prints
 * {@link UNPRINTABLE_SUBSTITUTE} in its place, `refuse` throws naming it.
 */
export type UnprintablePolicy = 'replace' | 'refuse';

export const UNPRINTABLE_SUBSTITUTE = '?';

/**
 * Four-byte characters with a two-byte (or ASCII) look-alike that means the same on a receipt.
 * These are always replaced, whatever the policy: `¥` is the common case (PROTOCOLS.md).
 */
export const KNOWN_SUBSTITUTES: ReadonlyMap<string, string> = new Map([
  ['\u00a5', '\uffe5'], // ¥ → ￥ (A3 A4)
  ['\u00a3', '\uffe1'], // £ → ￡ (A1 EA)
  ['\u00a2', '\uffe0'], // ¢ → ￠ (A1 E9)
  ['\u00a0', ' '], // no-break space → space
  ['\u2022', '\u00b7'], // • → · (A1 A4)
]);

function codePointLabel(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f);
}

function isLoneSurrogate(char: string): boolean {
  const c = char.codePointAt(0)!;
  return c >= 0xd800 && c <= 0xdfff;
}

/**
 * Private use code points have no agreed glyph: a GBK printer prints whatever its maker put at
 * the user-defined code they map to, and GB18030-2005 and -2022 map some of them differently
 * (U+E854 is FE 9x in one and 龺 in the other).
 */
function isPrivateUse(codePoint: number): boolean {
  return codePoint >= 0xe000 && codePoint <= 0xf8ff;
}

/** The WHATWG (GB18030-2022) reading, as the virtual paper and current printers decode. */
const GB18030_READING = new TextDecoder('gb18030');

/** The bytes the printer can print for `char`, or undefined when it has none. */
function printerBytes(char: string): Uint8Array | undefined {
  const codePoint = char.codePointAt(0)!;
  if (isControl(codePoint) || isLoneSurrogate(char) || isPrivateUse(codePoint)) return undefined;
  if (codePoint < 0x80) return Uint8Array.of(codePoint);
  const encoded = iconv.encode(char, 'gb18030');
  if (encoded.length !== 2) return undefined;
  // A code whose two GB18030 editions disagree reads back as another character: not printable.
  return GB18030_READING.decode(encoded) === char ? new Uint8Array(encoded) : undefined;
}

const SUBSTITUTE_BYTES = printerBytes(UNPRINTABLE_SUBSTITUTE)!;

/**
 * Splits `text` into the characters the printer will receive, substituting as the policy says.
 * Never yields a four-byte GB18030 sequence or a control byte.
 */
export function toPrintableChars(text: string, policy: UnprintablePolicy = 'replace'): PrintableChar[] {
  if (typeof text !== 'string') {
    throw new KioskError(ErrorCode.DeviceBadArgument, `printer text must be a string, got ${typeof text}`);
  }
  const out: PrintableChar[] = [];
  let index = 0;
  for (const original of text) {
    const char = KNOWN_SUBSTITUTES.get(original) ?? original;
    const bytes = printerBytes(char);
    if (bytes) {
      out.push({ char, bytes });
    } else if (policy === 'refuse') {
      throw new KioskError(
        ErrorCode.DeviceBadArgument,
        `character ${codePointLabel(original)} at index ${index} cannot be printed: it is a control or private use character, or needs four GB18030 bytes, which GBK printer fonts lack`,
        { details: { codePoint: codePointLabel(original), index } },
      );
    } else {
      out.push({ char: UNPRINTABLE_SUBSTITUTE, bytes: SUBSTITUTE_BYTES });
    }
    index += original.length;
  }
  return out;
}

export function columnsOf(chars: readonly PrintableChar[]): number {
  let columns = 0;
  for (const c of chars) columns += c.bytes.length;
  return columns;
}

/** Columns `text` takes on paper after substitution. */
export function textColumns(text: string): number {
  return columnsOf(toPrintableChars(text));
}
