import { ErrorCode, KioskError } from '../../../../core/errors.js';
import {
  ESCROW_CODE_BARCODE_TICKET,
  FAILURE_CODES,
  type FailureName,
  Id003Command,
  Id003ReplyAck,
  Id003Status,
  MAX_DATA_LENGTH,
  REJECT_REASONS,
  type RejectReasonName,
} from './constants.js';
import { encodeFrame, type Id003Frame } from './frame.js';

export type Id003GetTarget =
  | 'enable'
  | 'security'
  | 'communicationMode'
  | 'inhibit'
  | 'direction'
  | 'optionalFunction'
  | 'version'
  | 'bootVersion'
  | 'currencyAssignment';

export type HostCommand =
  | { kind: 'statusRequest' }
  | { kind: 'ack' }
  | { kind: 'reset' }
  | { kind: 'stack1' }
  | { kind: 'stack2' }
  | { kind: 'return' }
  | { kind: 'hold' }
  | { kind: 'wait' }
  /** 16-bit, bit = 1 disables; bit n <-> escrow code 0x61 + n. */
  | { kind: 'setEnable'; disabledMask: number }
  | { kind: 'setSecurity'; mask: number }
  | { kind: 'setCommunicationMode'; mode: number }
  | { kind: 'setInhibit'; inhibit: boolean }
  | { kind: 'setDirection'; mask: number }
  | { kind: 'setOptionalFunction'; value: number }
  | { kind: 'setBarcodeFunction'; data: Uint8Array }
  | { kind: 'setBarInhibit'; value: number }
  | { kind: 'get'; what: Id003GetTarget }
  /**
   * A code this codec does not know, or (malformed) a known code whose data does not fit
   * it: an acceptor answers INVALID COMMAND. Encoding one sends code and data unchecked,
   * which is how a test provokes that answer.
   */
  | { kind: 'unknownCommand'; code: number; data: Uint8Array; malformed?: true };

export type AcceptorStatusName =
  | 'idling'
  | 'accepting'
  | 'stacking'
  | 'vendValid'
  | 'stacked'
  | 'returning'
  | 'holding'
  | 'disabled'
  | 'initialize'
  | 'powerUp'
  | 'powerUpBillInAcceptor'
  | 'powerUpBillInStacker'
  | 'stackerFull'
  | 'stackerOpen'
  | 'jamInAcceptor'
  | 'jamInStacker'
  | 'pause'
  | 'cheated'
  | 'communicationError'
  | 'invalidCommand';

export interface CurrencyAssignmentEntry {
  escrowCode: number;
  /** JCM country code; opaque here (China's value is unverified). */
  countryCode: number;
  /** Note value = base × 10^exponent in MAJOR units; the driver converts to minor units. */
  base: number;
  exponent: number;
}

export type AcceptorReply =
  | { kind: 'status'; status: AcceptorStatusName }
  /** `barcode` only with escrow code 0x6F (ticket): the characters read from it. */
  | { kind: 'escrow'; escrowCode: number; barcode?: Uint8Array }
  | { kind: 'rejecting'; reasonCode: number; reason: RejectReasonName | 'unknown' }
  | { kind: 'failure'; failureCode: number; failure: FailureName | 'unknown' }
  | { kind: 'ack' }
  /** The acceptor's echo of a setting command 0xC0..0xC7 with the data it took. */
  | { kind: 'settingEcho'; command: number; data: Uint8Array }
  /** The answer to a setting request 0x80..0x85. */
  | { kind: 'settingReport'; request: number; data: Uint8Array }
  | { kind: 'version'; text: string }
  | { kind: 'bootVersion'; text: string }
  | { kind: 'currencyAssignment'; entries: CurrencyAssignmentEntry[] }
  /**
   * A code this codec does not know, or (malformed) a known code whose data does not fit
   * it. Decoding never throws; encoding one sends code and data unchecked (fault injection).
   */
  | { kind: 'unknownStatus'; code: number; data: Uint8Array; malformed?: true };

const SIMPLE_COMMANDS = {
  statusRequest: Id003Command.StatusRequest,
  ack: Id003Command.Ack,
  reset: Id003Command.Reset,
  stack1: Id003Command.Stack1,
  stack2: Id003Command.Stack2,
  return: Id003Command.Return,
  hold: Id003Command.Hold,
  wait: Id003Command.Wait,
} as const;
type SimpleCommandKind = keyof typeof SIMPLE_COMMANDS;

export const GET_REQUEST_CODES: Record<Id003GetTarget, number> = {
  enable: Id003Command.GetEnable,
  security: Id003Command.GetSecurity,
  communicationMode: Id003Command.GetCommunicationMode,
  inhibit: Id003Command.GetInhibit,
  direction: Id003Command.GetDirection,
  optionalFunction: Id003Command.GetOptionalFunction,
  version: Id003Command.GetVersion,
  bootVersion: Id003Command.GetBootVersion,
  currencyAssignment: Id003Command.GetCurrencyAssignment,
};

export const STATUS_CODES: Record<AcceptorStatusName, number> = {
  idling: Id003Status.Idling,
  accepting: Id003Status.Accepting,
  stacking: Id003Status.Stacking,
  vendValid: Id003Status.VendValid,
  stacked: Id003Status.Stacked,
  returning: Id003Status.Returning,
  holding: Id003Status.Holding,
  disabled: Id003Status.Disabled,
  initialize: Id003Status.Initialize,
  powerUp: Id003Status.PowerUp,
  powerUpBillInAcceptor: Id003Status.PowerUpBillInAcceptor,
  powerUpBillInStacker: Id003Status.PowerUpBillInStacker,
  stackerFull: Id003Status.StackerFull,
  stackerOpen: Id003Status.StackerOpen,
  jamInAcceptor: Id003Status.JamInAcceptor,
  jamInStacker: Id003Status.JamInStacker,
  pause: Id003Status.Pause,
  cheated: Id003Status.Cheated,
  communicationError: Id003Status.CommunicationError,
  invalidCommand: Id003Status.InvalidCommand,
};

const invert = <K extends string>(table: Record<K, number>): Map<number, K> =>
  new Map((Object.entries(table) as [K, number][]).map(([name, code]) => [code, name]));
const SIMPLE_BY_CODE = invert<SimpleCommandKind>(SIMPLE_COMMANDS);
const GET_BY_CODE = invert(GET_REQUEST_CODES);
const STATUS_BY_CODE = invert(STATUS_CODES);

/**
 * Data length of each setting (0xC0..0xC7), which its request (0x80..0x85, the same low
 * nibble) reports back; `undefined` = any non-empty length, for settings whose layout is
 * unverified (C5) or variable (C6).
 */
const SETTING_DATA_LENGTH: Record<number, number | undefined> = {
  0: 2, // C0 enable mask
  1: 2, // C1 security mask
  2: 1, // C2 communication mode
  3: 1, // C3 inhibit
  4: 1, // C4 direction
  5: undefined, // C5 optional function (unverified)
  6: undefined, // C6 barcode function
  7: 1, // C7 bill/ticket inhibit
};
const SETTING_ECHO_FIRST = Id003Command.SetEnable;
const SETTING_ECHO_LAST = Id003Command.SetBarInhibit;
const SETTING_REPORT_FIRST = Id003Command.GetEnable;
const SETTING_REPORT_LAST = Id003Command.GetOptionalFunction;
/** Unverified: the C5 value is sent as two bytes, low byte first, like the other masks. */
const OPTIONAL_FUNCTION_BYTES = 2;
const CURRENCY_ENTRY_BYTES = 4;

function settingDataFits(low: number, length: number): boolean {
  const expected = SETTING_DATA_LENGTH[low];
  return expected === undefined ? length > 0 : length === expected;
}

function bad(what: string, details: Record<string, unknown>): never {
  throw new KioskError(ErrorCode.DeviceBadArgument, `ID-003 ${what}`, { details });
}

function checkInt(value: unknown, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    bad(`${field} must be an integer from 0 to ${max}, got ${String(value)}`, { field, value });
  }
  return value;
}

function checkBytes(value: unknown, field: string, min: number, max = MAX_DATA_LENGTH): Uint8Array {
  if (!(value instanceof Uint8Array)) bad(`${field} must be a Uint8Array`, { field });
  if (value.length < min || value.length > max) {
    bad(`${field} must be ${min} to ${max} bytes, got ${value.length}`, { field, length: value.length });
  }
  return value;
}

function checkLatin1(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') bad(`${field} must be a string`, { field });
  // Buffer's latin1 encoder silently truncates wider characters; refuse them instead.
  if (/[^\u0000-\u00ff]/.test(value)) bad(`${field} has characters outside one byte`, { field });
  return checkBytes(new Uint8Array(Buffer.from(value, 'latin1')), field, 0);
}

const u16le = (value: number): Uint8Array => Uint8Array.of(value & 0xff, value >>> 8);
const readU16le = (data: Uint8Array): number => data[0]! | (data[1]! << 8);

export function encodeCommand(cmd: HostCommand): Uint8Array {
  if (cmd === null || typeof cmd !== 'object') bad('command must be an object', { got: typeof cmd });
  switch (cmd.kind) {
    case 'statusRequest':
    case 'ack':
    case 'reset':
    case 'stack1':
    case 'stack2':
    case 'return':
    case 'hold':
    case 'wait':
      return encodeFrame(SIMPLE_COMMANDS[cmd.kind]);
    case 'setEnable':
      return encodeFrame(
        Id003Command.SetEnable,
        u16le(checkInt(cmd.disabledMask, 0xffff, 'setEnable.disabledMask')),
      );
    case 'setSecurity':
      return encodeFrame(Id003Command.SetSecurity, u16le(checkInt(cmd.mask, 0xffff, 'setSecurity.mask')));
    case 'setCommunicationMode':
      return encodeFrame(
        Id003Command.SetCommunicationMode,
        Uint8Array.of(checkInt(cmd.mode, 0xff, 'setCommunicationMode.mode')),
      );
    case 'setInhibit':
      if (typeof cmd.inhibit !== 'boolean')
        bad('setInhibit.inhibit must be a boolean', { value: cmd.inhibit });
      return encodeFrame(Id003Command.SetInhibit, Uint8Array.of(cmd.inhibit ? 1 : 0));
    case 'setDirection':
      return encodeFrame(
        Id003Command.SetDirection,
        Uint8Array.of(checkInt(cmd.mask, 0xff, 'setDirection.mask')),
      );
    case 'setOptionalFunction':
      return encodeFrame(
        Id003Command.SetOptionalFunction,
        u16le(checkInt(cmd.value, 0xffff, 'setOptionalFunction.value')),
      );
    case 'setBarcodeFunction':
      return encodeFrame(Id003Command.SetBarcodeFunction, checkBytes(cmd.data, 'setBarcodeFunction.data', 1));
    case 'setBarInhibit':
      return encodeFrame(
        Id003Command.SetBarInhibit,
        Uint8Array.of(checkInt(cmd.value, 0xff, 'setBarInhibit.value')),
      );
    case 'get':
      if (!Object.hasOwn(GET_REQUEST_CODES, cmd.what)) {
        bad(`get.what "${String(cmd.what)}" is not a setting request`, { what: cmd.what });
      }
      return encodeFrame(GET_REQUEST_CODES[cmd.what]);
    case 'unknownCommand':
      return encodeFrame(
        checkInt(cmd.code, 0xff, 'unknownCommand.code'),
        checkBytes(cmd.data, 'unknownCommand.data', 0),
      );
    default:
      return bad(`command kind "${String((cmd as { kind: unknown }).kind)}" does not exist`, {
        kind: (cmd as { kind: unknown }).kind,
      });
  }
}

/** Host → acceptor direction. Never throws: what it cannot read becomes unknownCommand. */
export function decodeCommand(frame: Id003Frame): HostCommand {
  const { code, data } = frame;
  const malformed = (): HostCommand => ({ kind: 'unknownCommand', code, data, malformed: true });
  const simple = SIMPLE_BY_CODE.get(code);
  if (simple !== undefined) return data.length === 0 ? { kind: simple } : malformed();
  const what = GET_BY_CODE.get(code);
  if (what !== undefined) return data.length === 0 ? { kind: 'get', what } : malformed();
  switch (code) {
    case Id003Command.SetEnable:
      return data.length === 2 ? { kind: 'setEnable', disabledMask: readU16le(data) } : malformed();
    case Id003Command.SetSecurity:
      return data.length === 2 ? { kind: 'setSecurity', mask: readU16le(data) } : malformed();
    case Id003Command.SetCommunicationMode:
      return data.length === 1 ? { kind: 'setCommunicationMode', mode: data[0]! } : malformed();
    case Id003Command.SetInhibit:
      return data.length === 1 && data[0]! <= 1
        ? { kind: 'setInhibit', inhibit: data[0] === 1 }
        : malformed();
    case Id003Command.SetDirection:
      return data.length === 1 ? { kind: 'setDirection', mask: data[0]! } : malformed();
    case Id003Command.SetOptionalFunction:
      return data.length === OPTIONAL_FUNCTION_BYTES
        ? { kind: 'setOptionalFunction', value: readU16le(data) }
        : malformed();
    case Id003Command.SetBarcodeFunction:
      return data.length > 0 ? { kind: 'setBarcodeFunction', data } : malformed();
    case Id003Command.SetBarInhibit:
      return data.length === 1 ? { kind: 'setBarInhibit', value: data[0]! } : malformed();
    default:
      return { kind: 'unknownCommand', code, data };
  }
}

/** The reply a decoder gives for REJECTING with this reason code. */
export function rejectingReply(reasonCode: number): Extract<AcceptorReply, { kind: 'rejecting' }> {
  return { kind: 'rejecting', reasonCode, reason: REJECT_REASONS[reasonCode] ?? 'unknown' };
}

/** The reply a decoder gives for FAILURE with this failure code. */
export function failureReply(failureCode: number): Extract<AcceptorReply, { kind: 'failure' }> {
  return { kind: 'failure', failureCode, failure: FAILURE_CODES[failureCode] ?? 'unknown' };
}

export function encodeReply(reply: AcceptorReply): Uint8Array {
  if (reply === null || typeof reply !== 'object') bad('reply must be an object', { got: typeof reply });
  switch (reply.kind) {
    case 'status':
      if (!Object.hasOwn(STATUS_CODES, reply.status)) {
        bad(`status "${String(reply.status)}" does not exist`, { status: reply.status });
      }
      return encodeFrame(STATUS_CODES[reply.status]);
    case 'escrow': {
      const code = checkInt(reply.escrowCode, 0xff, 'escrow.escrowCode');
      if (reply.barcode === undefined) return encodeFrame(Id003Status.Escrow, Uint8Array.of(code));
      if (code !== ESCROW_CODE_BARCODE_TICKET) {
        bad(`escrow.barcode needs escrow code 0x6f, got 0x${code.toString(16)}`, { escrowCode: code });
      }
      const barcode = checkBytes(reply.barcode, 'escrow.barcode', 1, MAX_DATA_LENGTH - 1);
      const data = new Uint8Array(1 + barcode.length);
      data[0] = code;
      data.set(barcode, 1);
      return encodeFrame(Id003Status.Escrow, data);
    }
    case 'rejecting': {
      const code = checkInt(reply.reasonCode, 0xff, 'rejecting.reasonCode');
      const expected = rejectingReply(code).reason;
      if (reply.reason !== expected) {
        bad(
          `rejecting.reason "${String(reply.reason)}" does not match code 0x${code.toString(16)} ("${expected}")`,
          {
            reasonCode: code,
            reason: reply.reason,
          },
        );
      }
      return encodeFrame(Id003Status.Rejecting, Uint8Array.of(code));
    }
    case 'failure': {
      const code = checkInt(reply.failureCode, 0xff, 'failure.failureCode');
      const expected = failureReply(code).failure;
      if (reply.failure !== expected) {
        bad(
          `failure.failure "${String(reply.failure)}" does not match code 0x${code.toString(16)} ("${expected}")`,
          {
            failureCode: code,
            failure: reply.failure,
          },
        );
      }
      return encodeFrame(Id003Status.Failure, Uint8Array.of(code));
    }
    case 'ack':
      return encodeFrame(Id003ReplyAck);
    case 'settingEcho': {
      const command = checkInt(reply.command, 0xff, 'settingEcho.command');
      if (command < SETTING_ECHO_FIRST || command > SETTING_ECHO_LAST) {
        bad(`settingEcho.command 0x${command.toString(16)} is not a setting command (0xc0..0xc7)`, {
          command,
        });
      }
      const data = checkBytes(reply.data, 'settingEcho.data', 1);
      if (!settingDataFits(command & 0x0f, data.length)) {
        bad(`settingEcho.data of ${data.length} bytes does not fit command 0x${command.toString(16)}`, {
          command,
          length: data.length,
        });
      }
      return encodeFrame(command, data);
    }
    case 'settingReport': {
      const request = checkInt(reply.request, 0xff, 'settingReport.request');
      if (request < SETTING_REPORT_FIRST || request > SETTING_REPORT_LAST) {
        bad(`settingReport.request 0x${request.toString(16)} is not a setting request (0x80..0x85)`, {
          request,
        });
      }
      const data = checkBytes(reply.data, 'settingReport.data', 1);
      if (!settingDataFits(request & 0x0f, data.length)) {
        bad(`settingReport.data of ${data.length} bytes does not fit request 0x${request.toString(16)}`, {
          request,
          length: data.length,
        });
      }
      return encodeFrame(request, data);
    }
    case 'version':
      return encodeFrame(Id003Command.GetVersion, checkLatin1(reply.text, 'version.text'));
    case 'bootVersion':
      return encodeFrame(Id003Command.GetBootVersion, checkLatin1(reply.text, 'bootVersion.text'));
    case 'currencyAssignment': {
      if (!Array.isArray(reply.entries)) bad('currencyAssignment.entries must be an array', {});
      const most = Math.floor(MAX_DATA_LENGTH / CURRENCY_ENTRY_BYTES);
      if (reply.entries.length > most) {
        bad(`currencyAssignment has ${reply.entries.length} entries, a frame holds ${most}`, {
          entries: reply.entries.length,
        });
      }
      const data = new Uint8Array(reply.entries.length * CURRENCY_ENTRY_BYTES);
      reply.entries.forEach((entry, i) => {
        const at = `currencyAssignment.entries[${i}]`;
        data.set(
          [
            checkInt(entry?.escrowCode, 0xff, `${at}.escrowCode`),
            checkInt(entry?.countryCode, 0xff, `${at}.countryCode`),
            checkInt(entry?.base, 0xff, `${at}.base`),
            checkInt(entry?.exponent, 0xff, `${at}.exponent`),
          ],
          i * CURRENCY_ENTRY_BYTES,
        );
      });
      return encodeFrame(Id003Command.GetCurrencyAssignment, data);
    }
    case 'unknownStatus':
      return encodeFrame(
        checkInt(reply.code, 0xff, 'unknownStatus.code'),
        checkBytes(reply.data, 'unknownStatus.data', 0),
      );
    default:
      return bad(`reply kind "${String((reply as { kind: unknown }).kind)}" does not exist`, {
        kind: (reply as { kind: unknown }).kind,
      });
  }
}

const latin1 = (data: Uint8Array): string =>
  Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');

/**
 * Acceptor → host direction. Never throws: unknown codes and data that does not fit its
 * code become unknownStatus (the latter flagged malformed).
 */
export function decodeReply(frame: Id003Frame): AcceptorReply {
  const { code, data } = frame;
  const malformed = (): AcceptorReply => ({ kind: 'unknownStatus', code, data, malformed: true });
  const status = STATUS_BY_CODE.get(code);
  if (status !== undefined) return data.length === 0 ? { kind: 'status', status } : malformed();
  if (code >= SETTING_ECHO_FIRST && code <= SETTING_ECHO_LAST) {
    return settingDataFits(code & 0x0f, data.length)
      ? { kind: 'settingEcho', command: code, data }
      : malformed();
  }
  if (code >= SETTING_REPORT_FIRST && code <= SETTING_REPORT_LAST) {
    return settingDataFits(code & 0x0f, data.length)
      ? { kind: 'settingReport', request: code, data }
      : malformed();
  }
  switch (code) {
    case Id003Status.Escrow:
      if (data.length === 1) return { kind: 'escrow', escrowCode: data[0]! };
      return data.length > 1 && data[0] === ESCROW_CODE_BARCODE_TICKET
        ? { kind: 'escrow', escrowCode: data[0], barcode: data.slice(1) }
        : malformed();
    case Id003Status.Rejecting:
      return data.length === 1 ? rejectingReply(data[0]!) : malformed();
    case Id003Status.Failure:
      return data.length === 1 ? failureReply(data[0]!) : malformed();
    case Id003ReplyAck:
      return data.length === 0 ? { kind: 'ack' } : malformed();
    case Id003Command.GetVersion:
      return { kind: 'version', text: latin1(data) };
    case Id003Command.GetBootVersion:
      return { kind: 'bootVersion', text: latin1(data) };
    case Id003Command.GetCurrencyAssignment: {
      if (data.length % CURRENCY_ENTRY_BYTES !== 0) return malformed();
      const entries: CurrencyAssignmentEntry[] = [];
      for (let i = 0; i < data.length; i += CURRENCY_ENTRY_BYTES) {
        entries.push({
          escrowCode: data[i]!,
          countryCode: data[i + 1]!,
          base: data[i + 2]!,
          exponent: data[i + 3]!,
        });
      }
      return { kind: 'currencyAssignment', entries };
    }
    default:
      return { kind: 'unknownStatus', code, data };
  }
}
