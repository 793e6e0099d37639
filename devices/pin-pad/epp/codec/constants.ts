/*
 * The EPP wire protocol defined in docs/devices/epp.md. Codes not in these tables are a
 * vendor's business: the decoders report them instead of guessing.
 */

export const STX = 0x02;
export const ETX = 0x03;

/** LEN, CODE and CHECK: the bytes every frame body carries besides its parameters. */
export const FRAME_OVERHEAD_BYTES = 3;
/** LEN is one byte counting CODE and parameters. */
export const MAX_PARAMS_BYTES = 254;
/** STX + hex(LEN CODE CHECK) + ETX. */
export const MIN_FRAME_BYTES = 2 + 2 * FRAME_OVERHEAD_BYTES;
export const MAX_FRAME_BYTES = 2 + 2 * (FRAME_OVERHEAD_BYTES + MAX_PARAMS_BYTES);

/** Host → pad. The pad's reply to a command carries the same code. */
export const EppCommand = {
  reset: 0x30,
  getStatus: 0x31,
  beep: 0x32,
  startPinEntry: 0x40,
  startDataEntry: 0x41,
  cancelEntry: 0x42,
  getPinBlock: 0x43,
} as const;
export type EppCommandName = keyof typeof EppCommand;

/** Pad → host, unsolicited, between replies. */
export const EppEvent = {
  pinKey: 0x50,
  dataKey: 0x51,
  pinEntryEnded: 0x52,
  dataEntryEnded: 0x53,
} as const;
export type EppEventName = keyof typeof EppEvent;
/** Reserved for events, so no command (and no reply) may use them. */
export const EVENT_CODES_FIRST = 0x50;
export const EVENT_CODES_LAST = 0x5f;

/** First parameter of every reply. */
export const REPLY_OK = 0x00;

/** Reply status codes E0–EF; E9–EE are left to vendors and decode as `unknown`. */
export const EPP_ERROR_CODES = {
  unknownCommand: 0xe0,
  badParameter: 0xe1,
  busy: 0xe2,
  noPin: 0xe3,
  dukptOverflow: 0xe4,
  noKey: 0xe5,
  formatNotSupported: 0xe6,
  notEntering: 0xe7,
  tampered: 0xe8,
  internal: 0xef,
} as const;
export type EppErrorName = keyof typeof EPP_ERROR_CODES | 'unknown';
export const FIRST_ERROR_CODE = 0xe0;
export const LAST_ERROR_CODE = 0xef;

/**
 * Key kinds, one byte each. During PIN entry a digit is only `*`: the pad never says which
 * digit. The control bytes are the ones the SZZT ZT588 sends raw (1B, 0D) plus BS and CAN.
 */
export const KEY_BYTES = {
  digit: 0x2a,
  backspace: 0x08,
  clear: 0x18,
  enter: 0x0d,
  cancel: 0x1b,
} as const;
export type EppKeyName = keyof typeof KEY_BYTES;

export const ENTRY_COMPLETIONS = ['enter', 'auto', 'cancel', 'timeout'] as const;
export type EppEntryCompletion = (typeof ENTRY_COMPLETIONS)[number];

export const PAD_STATES = ['idle', 'pinEntry', 'dataEntry'] as const;
export type EppPadState = (typeof PAD_STATES)[number];

/** 0 = no key loaded. SM4 or another vendor scheme would take a further code. */
export const KEY_SCHEMES = ['none', 'dukptTdes', 'dukptAes128'] as const;
export type EppKeyScheme = (typeof KEY_SCHEMES)[number];

export const PIN_BLOCK_FORMAT_CODES = { iso0: 0x00, iso4: 0x04 } as const;
export type EppPinBlockFormat = keyof typeof PIN_BLOCK_FORMAT_CODES;
export const PIN_BLOCK_BYTES: Record<EppPinBlockFormat, number> = { iso0: 8, iso4: 16 };
export const KSN_BYTES: Record<EppPinBlockFormat, number> = { iso0: 10, iso4: 12 };

export const PIN_LENGTH_MIN = 4;
export const PIN_LENGTH_MAX = 12;
export const DATA_LENGTH_MAX = 32;
export const ACCOUNT_DIGITS_MAX = 19;
export const ENTRY_TIMEOUT_MS_MAX = 600_000;
export const BEEP_MS_MAX = 10_000;
export const IDENTITY_FIELD_MAX = 32;
