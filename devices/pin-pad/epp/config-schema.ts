import { z } from 'zod';
import {
  fieldsAreClean,
  flag,
  intFrom,
  reconnect,
  requireMoreThan,
  requireOwnSimulator,
  serialPort,
} from '../../../core/config-fields.js';
import { type EppKeyName, ETX, KEY_BYTES, STX } from './codec/index.js';

/*
 * The config file's `devices.pinPad` section when `protocol` is "epp" (docs/devices/epp.md).
 * The line and the timings are the pad's; what a vendor does differently from this protocol and
 * the driver can follow is here too (raw key bytes). No key ever lives in this file: the pad
 * holds its keys, and the daemon's config names none.
 */

export const EPP_BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;
const SIMULATED_PORT = 'sim:epp';
const KEY_NAMES = Object.keys(KEY_BYTES) as [EppKeyName, ...EppKeyName[]];

const baudRate = z.union(
  EPP_BAUD_RATES.map((rate) => z.literal(rate)),
  { error: `expected one of ${EPP_BAUD_RATES.join(', ')}` },
);

const RAW_KEY_BYTE_EXPECTATION =
  'expected a byte as two upper-case hex digits, not 02 or 03 and not an ASCII hex digit (a frame byte)';

/** A byte that can stand between frames: not STX, ETX or a character a frame is written in. */
function isRawKeyByte(text: string): boolean {
  if (!/^[0-9A-F]{2}$/.test(text)) return false;
  const byte = Number.parseInt(text, 16);
  return byte !== STX && byte !== ETX && !/^[0-9A-F]$/.test(String.fromCharCode(byte));
}

const rawKeyByte = z.string({ error: RAW_KEY_BYTE_EXPECTATION }).refine(isRawKeyByte, {
  error: RAW_KEY_BYTE_EXPECTATION,
});

/** Each key kind and the bare byte a raw-key pad sends for it (`{ enter: "0D", cancel: "1B" }`). */
const rawKeyBytes = z
  .strictObject(
    Object.fromEntries(KEY_NAMES.map((key) => [key, rawKeyByte.optional()])) as Record<
      EppKeyName,
      z.ZodOptional<typeof rawKeyByte>
    >,
  )
  .default({});

export const eppConfigSchema = z
  .strictObject({
    enabled: flag().default(false),
    port: serialPort(SIMULATED_PORT),
    protocol: z.literal('epp').default('epp'),
    baudRate: baudRate.default(9600),
    /** The pad answers every command at once; key presses are events and never wait for this. */
    answerTimeoutMs: intFrom(50, 5000).default(500),
    /** The idle poll: how soon a pad that stopped answering (or was tampered with) is noticed. */
    statusPollIntervalMs: intFrom(50, 60_000).default(1000),
    silenceTimeoutMs: intFrom(200, 60_000).default(5000),
    /**
     * Pads that send key presses as bare bytes between frames (a ZT588 sends 1B cancel, 0D
     * enter): each key kind and its byte. Empty: keys come as event frames (docs/devices/epp.md).
     * With raw keys the pad sends no end-of-entry event, so the driver counts the PIN keys itself.
     */
    rawKeyBytes,
    reconnect: reconnect({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 }),
  })
  .superRefine((value, ctx) => {
    requireOwnSimulator(ctx, value, SIMULATED_PORT, 'EPP PIN pad');
    requireMoreThan(ctx, value, 'silenceTimeoutMs', 'statusPollIntervalMs');
    requireMoreThan(ctx, value, 'silenceTimeoutMs', 'answerTimeoutMs');
    const raw = value.rawKeyBytes;
    const kinds = Object.keys(raw) as EppKeyName[];
    if (kinds.length > 0 && raw.enter === undefined && fieldsAreClean(ctx, ['rawKeyBytes'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['rawKeyBytes', 'enter'],
        message: "expected the enter key's byte when any key is raw (the driver ends a PIN entry on it)",
        input: undefined,
      });
    }
    const seen = new Map<string, EppKeyName>();
    for (const kind of kinds) {
      const byte = raw[kind];
      if (byte === undefined || !fieldsAreClean(ctx, ['rawKeyBytes', kind])) continue;
      const other = seen.get(byte);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rawKeyBytes', kind],
          message: `expected a byte not already the ${other} key's`,
          input: byte,
        });
      }
      seen.set(byte, kind);
    }
  });

export type EppPinPadConfig = z.output<typeof eppConfigSchema>;

/** The parser's map from the config's `{ cancel: "1B" }`. */
export function rawKeyByteMap(
  config: Readonly<Partial<Record<EppKeyName, string>>>,
): Map<number, EppKeyName> {
  const map = new Map<number, EppKeyName>();
  for (const [key, byte] of Object.entries(config) as [EppKeyName, string | undefined][]) {
    if (byte !== undefined) map.set(Number.parseInt(byte, 16), key);
  }
  return map;
}
