import { EventEmitter } from 'node:events';
import { ErrorCode, KioskError } from '../../core/errors.js';
import type {
  DataEntryResult,
  EntryCompletion,
  EntryOptions,
  MaskedKey,
  PinBlock,
  PinBlockRequest,
  PinEntryResult,
  PinPad,
  PinPadEvents,
  PinPadStatus,
} from '../../devices/pin-pad/pin-pad.js';

/**
 * A PIN pad for tests, driven by the test as a customer's fingers would drive a real one: it
 * keeps the PinPad contract (masked pinKey events, one entry at a time, cancelEntry resolving
 * the entry as cancel, unplugging rejecting it) and hands out a fixed "encrypted" block. Test
 * code only: the product talks to the EPP driver.
 */
export class ScriptedPinPad extends EventEmitter<PinPadEvents> {
  readonly name = 'pinPad';
  status: PinPadStatus = { state: 'online', entry: 'idle', pinReady: false };
  /** What getPinBlock answers: bytes the tests then look for everywhere they must not be. */
  block: PinBlock = {
    format: 'iso0',
    pinBlock: Uint8Array.from([0xc0, 0xfe, 0xba, 0xbe, 0x24, 0x68, 0x10, 0x99]),
    ksn: Uint8Array.from([0xff, 0xff, 0x98, 0x76, 0x54, 0x32, 0x10, 0xe0, 0x00, 0x07]),
  };
  /** Set to make getPinBlock fail (a pad fault after the PIN was entered). */
  pinBlockFault: Error | undefined;
  /** Every PIN block request, as the pad saw it. */
  readonly blockRequests: PinBlockRequest[] = [];
  readonly calls: string[] = [];
  #entry:
    | {
        kind: 'pin' | 'data';
        options: EntryOptions;
        digits: string;
        resolve: (result: { digits: string; completion: EntryCompletion }) => void;
        reject: (error: Error) => void;
        timer: NodeJS.Timeout;
      }
    | undefined;

  /** The running entry's kind and options, for assertions. */
  get entry(): { kind: 'pin' | 'data'; options: EntryOptions } | undefined {
    return this.#entry === undefined ? undefined : { kind: this.#entry.kind, options: this.#entry.options };
  }

  asPinPad(): PinPad {
    return this as unknown as PinPad;
  }

  pinEntry(options: EntryOptions): Promise<PinEntryResult> {
    this.calls.push('pinEntry');
    return this.#start('pin', options).then(({ digits, completion }) => {
      this.status = { ...this.status, pinReady: completion === 'enter' || completion === 'auto' };
      return { digits: digits.length, completion };
    });
  }

  dataEntry(options: EntryOptions): Promise<DataEntryResult> {
    this.calls.push('dataEntry');
    return this.#start('data', options).then(({ digits, completion }) => ({ value: digits, completion }));
  }

  async getPinBlock(request: PinBlockRequest): Promise<PinBlock> {
    this.calls.push('getPinBlock');
    this.blockRequests.push({ ...request });
    if (this.pinBlockFault !== undefined) throw this.pinBlockFault;
    if (!this.status.pinReady) throw new KioskError(ErrorCode.DeviceBadState, 'no PIN entered');
    this.status = { ...this.status, pinReady: false };
    return {
      format: request.format,
      pinBlock: Uint8Array.from(this.block.pinBlock),
      ksn: Uint8Array.from(this.block.ksn),
    };
  }

  async cancelEntry(): Promise<void> {
    this.calls.push('cancelEntry');
    // A real pad answers over the line: the entry ends a moment later, not inside this call.
    await new Promise((resolve) => setImmediate(resolve));
    this.#finish('cancel');
  }

  async beep(): Promise<void> {}

  /** Presses keys as `keys.press` does: digits, B backspace, X clear, E enter, C cancel. */
  press(keys: string): void {
    for (const key of keys) {
      const entry = this.#entry;
      if (entry === undefined) throw new Error(`key ${key} pressed with no entry running`);
      if (key === 'E') {
        if (entry.digits.length >= entry.options.minLength) this.#finish('enter');
        continue;
      }
      if (key === 'C') {
        this.#key(entry, 'cancel');
        this.#finish('cancel');
        continue;
      }
      if (key === 'B') entry.digits = entry.digits.slice(0, -1);
      else if (key === 'X') entry.digits = '';
      else if (/^\d$/.test(key)) {
        if (entry.digits.length >= entry.options.maxLength) continue;
        entry.digits += key;
      } else throw new Error(`no key ${key}`);
      this.#key(entry, key === 'B' ? 'backspace' : key === 'X' ? 'clear' : 'digit', key);
      if (entry.options.autoEnd && entry.digits.length === entry.options.maxLength) this.#finish('auto');
    }
  }

  /** The cable pulled: a running entry fails and nothing is held. */
  unplug(): void {
    this.status = { state: 'offline', entry: 'idle', pinReady: false };
    this.emit('status', this.status);
    const entry = this.#entry;
    this.#entry = undefined;
    if (entry) {
      clearTimeout(entry.timer);
      entry.reject(new KioskError(ErrorCode.TransportDisconnected, 'the PIN pad went away mid-entry'));
    }
  }

  #key(entry: NonNullable<typeof this.entry>, key: MaskedKey, digit?: string): void {
    if (entry.kind === 'pin') this.emit('pinKey', key);
    else this.emit('dataKey', key === 'digit' && digit !== undefined ? { key, digit } : { key });
  }

  #start(
    kind: 'pin' | 'data',
    options: EntryOptions,
  ): Promise<{ digits: string; completion: EntryCompletion }> {
    if (this.status.state !== 'online')
      return Promise.reject(new KioskError(ErrorCode.DeviceOffline, 'the PIN pad is offline'));
    if (this.#entry !== undefined)
      return Promise.reject(new KioskError(ErrorCode.DeviceBusy, 'an entry is already running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#finish('timeout'), options.timeoutMs);
      this.#entry = { kind, options: { ...options }, digits: '', resolve, reject, timer };
      this.status = { ...this.status, entry: kind, pinReady: false };
    });
  }

  #finish(completion: EntryCompletion): void {
    const entry = this.#entry;
    if (entry === undefined) return;
    this.#entry = undefined;
    clearTimeout(entry.timer);
    this.status = { ...this.status, entry: 'idle' };
    entry.resolve({ digits: entry.digits, completion });
  }
}
