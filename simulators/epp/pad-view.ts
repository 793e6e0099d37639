import type { EppKeyScheme, EppPadState } from '../../devices/pin-pad/epp/codec/index.js';

export interface EppCounters {
  commands: number;
  errorReplies: number;
  /** Frames with an event code (50–5F) from the host: no reply can carry that code, so none is sent. */
  eventCodeCommands: number;
  pinBlocks: number;
  beeps: number;
  /** Presses the pad took and told the host of. */
  acceptedPresses: number;
  /** Presses refused with a beep: a digit past maxLength, enter below minLength. */
  refusedPresses: number;
  /** Presses with no entry running, while off or booting, or after tamper: nothing happens. */
  ignoredPresses: number;
  /** Bytes that arrived while the pad was off or booting, and were lost. */
  bytesLostWhileOff: number;
}

/** What the control channel may know of the pad: never a digit, never a key. */
export interface EppPadView {
  power: 'on' | 'off' | 'booting';
  tampered: boolean;
  keyScheme: EppKeyScheme;
  entry: EppPadState;
  /** Digits in the running entry (0 when idle). */
  digits: number;
  /** A finished PIN entry is held for getPinBlock. */
  pinReady: boolean;
  /** The last DUKPT transaction counter used (NVRAM); null with no key. */
  ksnCounter: number | null;
  keysExhausted: boolean;
  pendingPresses: number;
}
