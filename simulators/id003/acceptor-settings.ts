import {
  ESCROW_CODE_FIRST,
  type HostCommand,
  Id003Command,
} from '../../devices/cash-acceptor/id003/codec/index.js';

/**
 * What the unit remembers from the setting commands C0..C7. RESET and power-up restore the
 * defaults, which is why a driver sends its settings during INITIALIZE every time.
 */
export interface AcceptorSettings {
  /** C0: bit = 1 disables; bit n ↔ escrow code 0x61 + n. */
  disabledMask: number;
  /** C1: bit = 1 asks for high security on that denomination (stored and echoed, not modelled). */
  securityMask: number;
  /** C2: 0 = polled, the only mode modelled. */
  communicationMode: number;
  /** C3: true = no notes drawn in. */
  inhibit: boolean;
  /** C4: insertion directions refused (stored and echoed, not modelled). */
  directionMask: number;
  /** C5 (layout unverified): stored and echoed. */
  optionalFunction: number;
  /** C6: stored as sent and echoed. */
  barcodeFunction: number[];
  /** C7: stored and echoed. */
  barInhibit: number;
}

export function defaultSettings(): AcceptorSettings {
  return {
    disabledMask: 0,
    securityMask: 0,
    communicationMode: 0,
    inhibit: true,
    directionMask: 0,
    optionalFunction: 0,
    barcodeFunction: [],
    barInhibit: 0,
  };
}

export type SettingCommand = Extract<
  HostCommand,
  {
    kind:
      | 'setEnable'
      | 'setSecurity'
      | 'setCommunicationMode'
      | 'setInhibit'
      | 'setDirection'
      | 'setOptionalFunction'
      | 'setBarcodeFunction'
      | 'setBarInhibit';
  }
>;

const u16le = (value: number): Uint8Array => Uint8Array.of(value & 0xff, value >>> 8);

/** Stores a setting and returns the code and data the unit echoes back. */
export function applySetting(
  settings: AcceptorSettings,
  cmd: SettingCommand,
): { command: number; data: Uint8Array } {
  switch (cmd.kind) {
    case 'setEnable':
      settings.disabledMask = cmd.disabledMask;
      return { command: Id003Command.SetEnable, data: u16le(cmd.disabledMask) };
    case 'setSecurity':
      settings.securityMask = cmd.mask;
      return { command: Id003Command.SetSecurity, data: u16le(cmd.mask) };
    case 'setCommunicationMode':
      settings.communicationMode = cmd.mode;
      return { command: Id003Command.SetCommunicationMode, data: Uint8Array.of(cmd.mode) };
    case 'setInhibit':
      settings.inhibit = cmd.inhibit;
      return { command: Id003Command.SetInhibit, data: Uint8Array.of(cmd.inhibit ? 1 : 0) };
    case 'setDirection':
      settings.directionMask = cmd.mask;
      return { command: Id003Command.SetDirection, data: Uint8Array.of(cmd.mask) };
    case 'setOptionalFunction':
      settings.optionalFunction = cmd.value;
      return { command: Id003Command.SetOptionalFunction, data: u16le(cmd.value) };
    case 'setBarcodeFunction':
      settings.barcodeFunction = [...cmd.data];
      return { command: Id003Command.SetBarcodeFunction, data: Uint8Array.from(cmd.data) };
    case 'setBarInhibit':
      settings.barInhibit = cmd.value;
      return { command: Id003Command.SetBarInhibit, data: Uint8Array.of(cmd.value) };
  }
}

export type SettingTarget =
  | 'enable'
  | 'security'
  | 'communicationMode'
  | 'inhibit'
  | 'direction'
  | 'optionalFunction';

const REPORT_CODES: Record<SettingTarget, number> = {
  enable: Id003Command.GetEnable,
  security: Id003Command.GetSecurity,
  communicationMode: Id003Command.GetCommunicationMode,
  inhibit: Id003Command.GetInhibit,
  direction: Id003Command.GetDirection,
  optionalFunction: Id003Command.GetOptionalFunction,
};

/** The answer to a setting request 0x80..0x85: the same bytes the setting was echoed with. */
export function reportSetting(
  settings: AcceptorSettings,
  what: SettingTarget,
): { request: number; data: Uint8Array } {
  const data = {
    enable: () => u16le(settings.disabledMask),
    security: () => u16le(settings.securityMask),
    communicationMode: () => Uint8Array.of(settings.communicationMode),
    inhibit: () => Uint8Array.of(settings.inhibit ? 1 : 0),
    direction: () => Uint8Array.of(settings.directionMask),
    optionalFunction: () => u16le(settings.optionalFunction),
  }[what]();
  return { request: REPORT_CODES[what], data };
}

/** Whether the C0 mask lets this escrow code through. */
export function denominationEnabled(settings: AcceptorSettings, escrowCode: number): boolean {
  const bit = escrowCode - ESCROW_CODE_FIRST;
  return bit < 0 || bit > 15 || (settings.disabledMask & (1 << bit)) === 0;
}
