import type {
  EppEntryCompletion,
  EppEntrySettings,
  EppKeyName,
} from '../../devices/pin-pad/epp/codec/index.js';

/** One press of a pad key as the keypad matrix reports it: a digit knows its value. */
export type PadPress = { key: 'digit'; value: number } | { key: Exclude<EppKeyName, 'digit'> };

export type EntryMode = 'pin' | 'data';

export type PressOutcome =
  /** The pad takes the key: the host hears of it; `ended` when it ended the entry. */
  | { accepted: true; ended?: EppEntryCompletion }
  /** The pad beeps and the host hears nothing: a digit past maxLength, enter below minLength. */
  | { accepted: false; why: 'full' | 'tooShort' };

/**
 * One running entry on the keypad, PIN or data. The digits live in a fixed buffer that is
 * zeroed as soon as they are no longer needed, never in a string; the inter-key timeout
 * runs from the start and again from every press, refused ones included (the customer is
 * still there).
 */
export class KeyEntry {
  readonly mode: EntryMode;
  readonly settings: Readonly<EppEntrySettings>;
  private readonly digits: Uint8Array;
  private count = 0;
  private deadlineAt: number;

  constructor(mode: EntryMode, settings: EppEntrySettings, now: number) {
    this.mode = mode;
    this.settings = Object.freeze({ ...settings });
    this.digits = new Uint8Array(settings.maxLength);
    this.deadlineAt = now + settings.timeoutMs;
  }

  get length(): number {
    return this.count;
  }

  /** When the entry times out if no key comes first. */
  get deadline(): number {
    return this.deadlineAt;
  }

  press(press: PadPress, now: number): PressOutcome {
    this.deadlineAt = now + this.settings.timeoutMs;
    const { minLength, maxLength, autoEnd } = this.settings;
    switch (press.key) {
      case 'digit':
        if (this.count >= maxLength) return { accepted: false, why: 'full' };
        this.digits[this.count++] = press.value;
        return autoEnd && this.count === maxLength ? { accepted: true, ended: 'auto' } : { accepted: true };
      case 'backspace':
        if (this.count > 0) this.digits[--this.count] = 0;
        return { accepted: true };
      case 'clear':
        this.wipe();
        return { accepted: true };
      case 'enter':
        return this.count < minLength
          ? { accepted: false, why: 'tooShort' }
          : { accepted: true, ended: 'enter' };
      case 'cancel':
        return { accepted: true, ended: 'cancel' };
    }
  }

  /**
   * The digits as text, for the one moment they are needed: the PIN block (then wiped) or the
   * value of a data entry, which is not secret.
   */
  text(): string {
    let text = '';
    for (let i = 0; i < this.count; i++) text += String.fromCharCode(0x30 + this.digits[i]!);
    return text;
  }

  wipe(): void {
    this.digits.fill(0);
    this.count = 0;
  }
}
