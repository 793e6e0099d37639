import { ErrorCode, KioskError } from '../../../../core/errors.js';
import {
  ACCOUNT_DIGITS_MAX,
  BEEP_MS_MAX,
  DATA_LENGTH_MAX,
  ENTRY_COMPLETIONS,
  ENTRY_TIMEOUT_MS_MAX,
  EPP_ERROR_CODES,
  EppCommand,
  type EppCommandName,
  type EppEntryCompletion,
  type EppErrorName,
  EppEvent,
  type EppKeyName,
  type EppKeyScheme,
  type EppPadState,
  type EppPinBlockFormat,
  EVENT_CODES_FIRST,
  EVENT_CODES_LAST,
  FIRST_ERROR_CODE,
  IDENTITY_FIELD_MAX,
  KEY_BYTES,
  KEY_SCHEMES,
  KSN_BYTES,
  LAST_ERROR_CODE,
  PAD_STATES,
  PIN_BLOCK_BYTES,
  PIN_BLOCK_FORMAT_CODES,
  PIN_LENGTH_MAX,
  PIN_LENGTH_MIN,
  REPLY_OK,
} from './constants.js';
import { type EppFrame, encodeFrame } from './frame.js';

export interface EppEntrySettings {
  minLength: number;
  maxLength: number;
  timeoutMs: number;
  /** End the entry by itself when maxLength digits are in (completion `auto`). */
  autoEnd: boolean;
}

export type EppHostCommand =
  | { kind: 'reset' }
  | { kind: 'getStatus' }
  | { kind: 'beep'; durationMs: number }
  | ({ kind: 'startPinEntry' } & EppEntrySettings)
  | ({ kind: 'startDataEntry' } & EppEntrySettings)
  | { kind: 'cancelEntry' }
  | { kind: 'getPinBlock'; format: EppPinBlockFormat; account: string }
  /** A code this codec does not know, or (malformed) a known code whose parameters do not fit it. */
  | { kind: 'unknownCommand'; code: number; params: Uint8Array; malformed?: true };

export interface EppIdentity {
  model: string;
  serial: string;
  firmware: string;
}

/** PIN-entry keys carry no digit: the type cannot hold one. */
export type EppPinKey = { kind: 'pinKey'; key: EppKeyName };
/** Data entry is for non-secret input (a phone number): its digits travel in clear. */
export type EppDataKey =
  | { kind: 'dataKey'; key: 'digit'; digit: string }
  | { kind: 'dataKey'; key: Exclude<EppKeyName, 'digit'> };

export type EppPadMessage =
  /** The OK reply to a command that returns nothing else. */
  | { kind: 'done'; command: Exclude<EppCommandName, 'getStatus' | 'getPinBlock'> }
  | ({
      kind: 'status';
      state: EppPadState;
      keyScheme: EppKeyScheme;
      /** A finished PIN entry is held and getPinBlock can be asked for. */
      pinReady: boolean;
    } & EppIdentity)
  | { kind: 'pinBlock'; format: EppPinBlockFormat; pinBlock: Uint8Array; ksn: Uint8Array }
  | { kind: 'error'; commandCode: number; error: EppErrorName; errorCode: number }
  | EppPinKey
  | EppDataKey
  | { kind: 'pinEntryEnded'; completion: EppEntryCompletion; digits: number }
  | { kind: 'dataEntryEnded'; completion: EppEntryCompletion; value: string }
  /** A frame this codec cannot read as a pad message, and why. */
  | { kind: 'unrecognised'; code: number; params: Uint8Array; reason: string };

const COMMAND_BY_CODE = invert(EppCommand);
const ERROR_BY_CODE = invert(EPP_ERROR_CODES);
const KEY_BY_BYTE = invert(KEY_BYTES);
const FORMAT_BY_CODE = invert(PIN_BLOCK_FORMAT_CODES);
const ASCII_DIGIT_0 = 0x30;

// ---- host → pad ----

export function encodeCommand(command: EppHostCommand): Uint8Array {
  return encodeFrame(...commandFrame(command));
}

function commandFrame(command: EppHostCommand): [number, Uint8Array?] {
  switch (command.kind) {
    case 'reset':
    case 'getStatus':
    case 'cancelEntry':
      return [EppCommand[command.kind]];
    case 'beep':
      requireInteger('beep durationMs', command.durationMs, 1, BEEP_MS_MAX);
      return [EppCommand.beep, u16(command.durationMs)];
    case 'startPinEntry':
    case 'startDataEntry':
      return [EppCommand[command.kind], entryParams(command)];
    case 'getPinBlock': {
      const code = PIN_BLOCK_FORMAT_CODES[command.format];
      if (code === undefined)
        bad(`PIN block format must be iso0 or iso4, got ${command.format}`, command.format);
      if (!isDigits(command.account, 1, ACCOUNT_DIGITS_MAX)) {
        bad(`account must be 1 to ${ACCOUNT_DIGITS_MAX} decimal digits`, command.account);
      }
      return [EppCommand.getPinBlock, Uint8Array.of(code, ...Buffer.from(command.account, 'latin1'))];
    }
    case 'unknownCommand':
      return [command.code, command.params];
  }
}

function entryParams(settings: EppHostCommand & EppEntrySettings): Uint8Array {
  const pin = settings.kind === 'startPinEntry';
  const [low, high] = pin ? [PIN_LENGTH_MIN, PIN_LENGTH_MAX] : [1, DATA_LENGTH_MAX];
  requireInteger(`${settings.kind} minLength`, settings.minLength, low, high);
  requireInteger(`${settings.kind} maxLength`, settings.maxLength, settings.minLength, high);
  requireInteger(`${settings.kind} timeoutMs`, settings.timeoutMs, 1, ENTRY_TIMEOUT_MS_MAX);
  if (typeof settings.autoEnd !== 'boolean')
    bad(`${settings.kind} autoEnd must be a boolean`, settings.autoEnd);
  const params = new Uint8Array(7);
  const view = new DataView(params.buffer);
  params[0] = settings.minLength;
  params[1] = settings.maxLength;
  view.setUint32(2, settings.timeoutMs);
  params[6] = settings.autoEnd ? 1 : 0;
  return params;
}

/** Never throws: what it cannot read is an unknownCommand (malformed when the code is known). */
export function decodeCommand(frame: EppFrame): EppHostCommand {
  const { code, params } = frame;
  const name = COMMAND_BY_CODE.get(code);
  const malformed: EppHostCommand = { kind: 'unknownCommand', code, params, malformed: true };
  switch (name) {
    case undefined:
      return { kind: 'unknownCommand', code, params };
    case 'reset':
    case 'getStatus':
    case 'cancelEntry':
      return params.length === 0 ? { kind: name } : malformed;
    case 'beep': {
      if (params.length !== 2) return malformed;
      const durationMs = (params[0]! << 8) | params[1]!;
      return durationMs >= 1 && durationMs <= BEEP_MS_MAX ? { kind: 'beep', durationMs } : malformed;
    }
    case 'startPinEntry':
    case 'startDataEntry': {
      if (params.length !== 7 || params[6]! > 1) return malformed;
      const settings: EppEntrySettings = {
        minLength: params[0]!,
        maxLength: params[1]!,
        timeoutMs: new DataView(params.buffer, params.byteOffset, params.length).getUint32(2),
        autoEnd: params[6] === 1,
      };
      const [low, high] = name === 'startPinEntry' ? [PIN_LENGTH_MIN, PIN_LENGTH_MAX] : [1, DATA_LENGTH_MAX];
      const fits =
        settings.minLength >= low &&
        settings.maxLength >= settings.minLength &&
        settings.maxLength <= high &&
        settings.timeoutMs >= 1 &&
        settings.timeoutMs <= ENTRY_TIMEOUT_MS_MAX;
      return fits ? { kind: name, ...settings } : malformed;
    }
    case 'getPinBlock': {
      const format = FORMAT_BY_CODE.get(params[0] ?? -1);
      const account = Buffer.from(params.subarray(1)).toString('latin1');
      if (format === undefined || !isDigits(account, 1, ACCOUNT_DIGITS_MAX)) return malformed;
      return { kind: 'getPinBlock', format, account };
    }
  }
}

// ---- pad → host ----

export function encodePadMessage(message: EppPadMessage): Uint8Array {
  return encodeFrame(...padFrame(message));
}

function padFrame(message: EppPadMessage): [number, Uint8Array?] {
  switch (message.kind) {
    case 'done': {
      const command: string = message.command;
      const code = EppCommand[message.command];
      if (code === undefined || command === 'getStatus' || command === 'getPinBlock') {
        bad(`done is not the reply to ${message.command}`, message.command);
      }
      return [code, Uint8Array.of(REPLY_OK)];
    }
    case 'status': {
      const state = PAD_STATES.indexOf(message.state);
      const scheme = KEY_SCHEMES.indexOf(message.keyScheme);
      if (state < 0) bad(`pad state must be one of ${PAD_STATES.join(', ')}`, message.state);
      if (scheme < 0) bad(`key scheme must be one of ${KEY_SCHEMES.join(', ')}`, message.keyScheme);
      const fields = [message.model, message.serial, message.firmware].map((text, i) => {
        if (!isPrintable(text, IDENTITY_FIELD_MAX)) {
          bad(
            `${['model', 'serial', 'firmware'][i]} must be printable ASCII of at most ${IDENTITY_FIELD_MAX}`,
            text,
          );
        }
        return Uint8Array.of(text.length, ...Buffer.from(text, 'latin1'));
      });
      const head = Uint8Array.of(REPLY_OK, state, scheme, message.pinReady ? 1 : 0);
      return [EppCommand.getStatus, Buffer.concat([head, ...fields])];
    }
    case 'pinBlock': {
      const formatCode = PIN_BLOCK_FORMAT_CODES[message.format];
      if (formatCode === undefined) bad(`PIN block format must be iso0 or iso4`, message.format);
      requireLength(`${message.format} PIN block`, message.pinBlock, PIN_BLOCK_BYTES[message.format]);
      requireLength(`${message.format} KSN`, message.ksn, KSN_BYTES[message.format]);
      return [
        EppCommand.getPinBlock,
        Uint8Array.of(REPLY_OK, formatCode, ...message.pinBlock, ...message.ksn),
      ];
    }
    case 'error': {
      requireInteger('error commandCode', message.commandCode, 0, 0xff);
      if (message.commandCode >= EVENT_CODES_FIRST && message.commandCode <= EVENT_CODES_LAST) {
        bad('an error reply cannot carry an event code (50–5F)', message.commandCode);
      }
      const errorCode = message.error === 'unknown' ? message.errorCode : EPP_ERROR_CODES[message.error];
      requireInteger('errorCode', errorCode, FIRST_ERROR_CODE, LAST_ERROR_CODE);
      if (errorCode !== message.errorCode)
        bad(`errorCode ${message.errorCode} is not ${message.error}`, errorCode);
      return [message.commandCode, Uint8Array.of(errorCode)];
    }
    case 'pinKey': {
      const byte = KEY_BYTES[message.key];
      if (byte === undefined) bad(`key must be one of ${Object.keys(KEY_BYTES).join(', ')}`, message.key);
      return [EppEvent.pinKey, Uint8Array.of(byte)];
    }
    case 'dataKey': {
      if (message.key === 'digit') {
        if (!isDigits(message.digit, 1, 1))
          bad('a data-entry digit must be one decimal digit', message.digit);
        return [EppEvent.dataKey, Uint8Array.of(message.digit.charCodeAt(0))];
      }
      const byte = KEY_BYTES[message.key];
      if (byte === undefined) bad(`key must be one of ${Object.keys(KEY_BYTES).join(', ')}`, message.key);
      return [EppEvent.dataKey, Uint8Array.of(byte)];
    }
    case 'pinEntryEnded':
      requireInteger('pinEntryEnded digits', message.digits, 0, PIN_LENGTH_MAX);
      return [EppEvent.pinEntryEnded, Uint8Array.of(completionCode(message.completion), message.digits)];
    case 'dataEntryEnded':
      if (!isDigits(message.value, 0, DATA_LENGTH_MAX)) {
        bad(`dataEntryEnded value must be at most ${DATA_LENGTH_MAX} decimal digits`, message.value);
      }
      return [
        EppEvent.dataEntryEnded,
        Uint8Array.of(completionCode(message.completion), ...Buffer.from(message.value, 'latin1')),
      ];
    case 'unrecognised':
      return [message.code, message.params];
  }
}

/** Never throws: a frame it cannot read is `unrecognised`, with the reason. */
export function decodePadMessage(frame: EppFrame): EppPadMessage {
  const { code, params } = frame;
  const unrecognised = (reason: string): EppPadMessage => ({ kind: 'unrecognised', code, params, reason });
  switch (code) {
    case EppEvent.pinKey: {
      const key = params.length === 1 ? KEY_BY_BYTE.get(params[0]!) : undefined;
      return key ? { kind: 'pinKey', key } : unrecognised('PIN key event without one known key byte');
    }
    case EppEvent.dataKey: {
      if (params.length !== 1) return unrecognised('data key event without exactly one byte');
      const byte = params[0]!;
      if (byte >= ASCII_DIGIT_0 && byte <= ASCII_DIGIT_0 + 9) {
        return { kind: 'dataKey', key: 'digit', digit: String.fromCharCode(byte) };
      }
      const key = KEY_BY_BYTE.get(byte);
      // A masked digit has no place in data entry, whose digits are shown.
      return key && key !== 'digit' ? { kind: 'dataKey', key } : unrecognised('unknown data key byte');
    }
    case EppEvent.pinEntryEnded: {
      const completion = ENTRY_COMPLETIONS[params[0] ?? -1];
      const digits = params[1] ?? -1;
      if (params.length !== 2 || completion === undefined || digits > PIN_LENGTH_MAX) {
        return unrecognised('PIN entry end without a known completion and a digit count up to 12');
      }
      return { kind: 'pinEntryEnded', completion, digits };
    }
    case EppEvent.dataEntryEnded: {
      const completion = ENTRY_COMPLETIONS[params[0] ?? -1];
      const value = Buffer.from(params.subarray(1)).toString('latin1');
      if (completion === undefined || !isDigits(value, 0, DATA_LENGTH_MAX)) {
        return unrecognised('data entry end without a known completion and up to 32 digits');
      }
      return { kind: 'dataEntryEnded', completion, value };
    }
  }
  if (params.length === 0) return unrecognised('reply without a status byte');
  const status = params[0]!;
  if (status !== REPLY_OK) {
    if (params.length !== 1 || status < FIRST_ERROR_CODE || status > LAST_ERROR_CODE) {
      return unrecognised(`status 0x${status.toString(16)} is neither OK nor an error E0–EF alone`);
    }
    return {
      kind: 'error',
      commandCode: code,
      error: ERROR_BY_CODE.get(status) ?? 'unknown',
      errorCode: status,
    };
  }
  const command = COMMAND_BY_CODE.get(code);
  switch (command) {
    case undefined:
      return unrecognised('an OK reply to no known command');
    case 'getStatus':
      return decodeStatus(params) ?? unrecognised('status reply does not fit its layout');
    case 'getPinBlock': {
      const format = FORMAT_BY_CODE.get(params[1] ?? -1);
      if (format === undefined) return unrecognised('PIN block reply with an unknown format');
      const blockBytes = PIN_BLOCK_BYTES[format];
      if (params.length !== 2 + blockBytes + KSN_BYTES[format]) {
        return unrecognised(`${format} PIN block reply of ${params.length} bytes`);
      }
      return {
        kind: 'pinBlock',
        format,
        pinBlock: params.slice(2, 2 + blockBytes),
        ksn: params.slice(2 + blockBytes),
      };
    }
    default:
      return params.length === 1 ? { kind: 'done', command } : unrecognised(`${command} reply with data`);
  }
}

function decodeStatus(params: Uint8Array): EppPadMessage | undefined {
  const state = PAD_STATES[params[1] ?? -1];
  const keyScheme = KEY_SCHEMES[params[2] ?? -1];
  const pinReady = params[3];
  if (state === undefined || keyScheme === undefined || (pinReady !== 0 && pinReady !== 1)) return undefined;
  const fields: string[] = [];
  let at = 4;
  for (let i = 0; i < 3; i++) {
    const length = params[at];
    if (length === undefined || at + 1 + length > params.length) return undefined;
    const text = Buffer.from(params.subarray(at + 1, at + 1 + length)).toString('latin1');
    if (!isPrintable(text, IDENTITY_FIELD_MAX)) return undefined;
    fields.push(text);
    at += 1 + length;
  }
  if (at !== params.length) return undefined;
  const [model, serial, firmware] = fields as [string, string, string];
  return { kind: 'status', state, keyScheme, pinReady: pinReady === 1, model, serial, firmware };
}

// ---- helpers ----

function completionCode(completion: EppEntryCompletion): number {
  const code = ENTRY_COMPLETIONS.indexOf(completion);
  if (code < 0) bad(`completion must be one of ${ENTRY_COMPLETIONS.join(', ')}`, completion);
  return code;
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function isDigits(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && /^[0-9]*$/.test(value) && value.length >= min && value.length <= max;
}

function isPrintable(value: unknown, max: number): value is string {
  return typeof value === 'string' && /^[\x20-\x7e]*$/.test(value) && value.length <= max;
}

function requireInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    bad(`${what} must be an integer from ${min} to ${max}, got ${value}`, value);
  }
}

function requireLength(what: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    bad(`${what} must be ${length} bytes`, value instanceof Uint8Array ? value.length : typeof value);
  }
}

function bad(message: string, got: unknown): never {
  throw new KioskError(ErrorCode.DeviceBadArgument, `EPP codec: ${message}`, { details: { got } });
}

function invert<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map((Object.entries(table) as [K, number][]).map(([name, code]) => [code, name]));
}
