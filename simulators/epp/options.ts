import type { LineSettings } from '../../core/line-settings.js';
import { parseControl } from '../harness/control-parse.js';
import { eppOptionsSchema, type KeySchemeOption } from './options-schema.js';
import { type EppTiming, resolveTiming } from './timing.js';

export { BAUD_RATES, eppConfigOptionsSchema, eppOptionsSchema, MAX_COUNTER } from './options-schema.js';

/**
 * The test keys of PROTOCOLS.md ("Encrypting PIN pad"): what the pad holds unless its settings
 * load another key. They are public test vectors, for simulation only; the account service
 * holds the matching BDKs. The pad is loaded with the IPEK / initial key, never the BDK.
 */
export const TEST_KEYS = Object.freeze({
  dukptTdes: Object.freeze({
    /** From BDK 0123456789ABCDEFFEDCBA9876543210 and the KSN below. */
    initialKey: '6AC292FAA1315B4D858AB3A3D7D5933A',
    initialKeySerial: 'FFFF9876543210E00000',
  }),
  dukptAes128: Object.freeze({
    /** From BDK FEDCBA9876543210F1F1F1F1F1F1F1F1 and the key ID below. */
    initialKey: '1273671EA26AC29AFA4D1084127652A1',
    initialKeySerial: '1234567890123456',
  }),
});

export const DEFAULT_IDENTITY = Object.freeze({ model: 'EPP-SIM', serial: '0001', firmware: '1.0.0' });

export interface EppKeyConfig {
  scheme: Exclude<KeySchemeOption, 'none'>;
  initialKey: Uint8Array;
  /** TDES: the initial KSN (10 bytes); AES: the initial key ID (8 bytes). */
  initialKeySerial: Uint8Array;
  /** The last transaction counter already used. */
  counter: number;
}

export interface EppModelConfig {
  line: LineSettings;
  /** Undefined: no key injected. */
  key: EppKeyConfig | undefined;
  keyEvents: 'frames' | 'rawBytes';
  cancelWhenIdle: 'ok' | 'notEntering';
  identity: { model: string; serial: string; firmware: string };
  timing: EppTiming;
}

/** Untrusted factory options → a complete config; a KioskError SimBadControl names the bad field. */
export function resolveEppOptions(options: unknown = {}): EppModelConfig {
  const o = parseControl(eppOptionsSchema, options ?? {}, 'epp simulator options');
  const scheme = o.keyScheme ?? 'dukptTdes';
  let key: EppKeyConfig | undefined;
  if (scheme !== 'none') {
    const test = TEST_KEYS[scheme];
    const serial = scheme === 'dukptTdes' ? o.initialKsn : o.initialKeyId;
    key = {
      scheme,
      initialKey: Buffer.from(o.initialKey ?? test.initialKey, 'hex'),
      initialKeySerial: Buffer.from(serial ?? test.initialKeySerial, 'hex'),
      counter: o.initialCounter ?? 0,
    };
  }
  return {
    line: Object.freeze({
      baudRate: o.baudRate ?? 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xonxoff: false,
    }),
    key,
    keyEvents: o.keyEvents ?? 'frames',
    cancelWhenIdle: o.cancelWhenIdle ?? 'ok',
    identity: {
      model: o.model ?? DEFAULT_IDENTITY.model,
      serial: o.serial ?? DEFAULT_IDENTITY.serial,
      firmware: o.firmware ?? DEFAULT_IDENTITY.firmware,
    },
    timing: resolveTiming(o.timingPreset ?? 'realistic', o.timing),
  };
}
