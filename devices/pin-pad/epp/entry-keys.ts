import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { MaskedKey } from '../pin-pad.js';
import { type EntryEnd, HostKeyCount, type PadEntry } from './pad-entry.js';
import type { EppInbound } from './pad-line.js';

export interface EntryKeysOptions {
  /** The pad sends PIN keys as bare bytes and no end event: the driver counts them. */
  rawKeys: boolean;
  clock: Clock;
  onPinKey(key: MaskedKey): void;
  onDataKey(key: { key: MaskedKey; digit?: string }): void;
  /** The running entry ended as the pad (or the count) says. */
  end(entry: PadEntry, end: EntryEnd): void;
  log: Logger;
}

export interface EntryKeysStats {
  pinKeys: number;
  dataKeys: number;
  /** Key or end events with no entry of their kind running (late, or a pad acting alone). */
  strayEvents: number;
  /** Frames from the pad no command waited for and no entry could use. */
  otherFrames: number;
}

/**
 * Routes what the pad sends between replies to the running entry: key presses go out as events
 * (masked in PIN entry, as the pad sent them; data-entry digits in clear), and the end event
 * settles the entry. For raw-key pads the PIN keys also feed the driver's own count, which ends
 * the entry by the pad's rules. Nothing here logs a key.
 */
export class EntryKeys {
  readonly #opts: EntryKeysOptions;
  readonly #counts = new Map<PadEntry, HostKeyCount>();
  readonly #stats: EntryKeysStats = { pinKeys: 0, dataKeys: 0, strayEvents: 0, otherFrames: 0 };

  constructor(options: EntryKeysOptions) {
    this.#opts = options;
  }

  get stats(): EntryKeysStats {
    return { ...this.#stats };
  }

  /** An entry begins (just before its start command is written: keys may come with its reply). */
  started(entry: PadEntry): void {
    if (!this.#opts.rawKeys || entry.kind !== 'pin') return;
    const count = new HostKeyCount(entry.options, this.#opts.clock, (completion, digits) =>
      this.#opts.end(entry, { completion, digits, value: '' }),
    );
    this.#counts.set(entry, count);
  }

  stopped(entry: PadEntry): void {
    this.#counts.get(entry)?.stop();
    this.#counts.delete(entry);
  }

  /** Whether the driver, not the pad, decides when `entry` ends. */
  counting(entry: PadEntry): boolean {
    return this.#counts.has(entry);
  }

  /** Ends a counted entry as `cancel` (the screen's cancel button); false when the pad decides. */
  cancelCounted(entry: PadEntry): boolean {
    const count = this.#counts.get(entry);
    if (!count) return false;
    this.#opts.end(entry, { completion: 'cancel', digits: count.digits, value: '' });
    return true;
  }

  handle(entry: PadEntry | undefined, inbound: EppInbound): void {
    if (inbound.kind === 'rawKey') {
      const count = entry ? this.#counts.get(entry) : undefined;
      if (!entry || !count) {
        this.#stats.strayEvents++;
        return;
      }
      this.#pinKey(inbound.key);
      count.key(inbound.key);
      return;
    }
    const message = inbound.message;
    switch (message.kind) {
      case 'pinKey':
        if (entry?.kind !== 'pin') break;
        this.#pinKey(message.key);
        return;
      case 'dataKey':
        if (entry?.kind !== 'data') break;
        this.#stats.dataKeys++;
        this.#opts.onDataKey(
          message.key === 'digit' ? { key: 'digit', digit: message.digit } : { key: message.key },
        );
        return;
      case 'pinEntryEnded':
        if (entry?.kind !== 'pin') break;
        this.#opts.end(entry, { completion: message.completion, digits: message.digits, value: '' });
        return;
      case 'dataEntryEnded':
        if (entry?.kind !== 'data') break;
        this.#opts.end(entry, {
          completion: message.completion,
          digits: message.value.length,
          value: message.value,
        });
        return;
      default:
        // A reply that came after its command gave up, or a vendor's frame: by kind only.
        this.#stats.otherFrames++;
        this.#opts.log.debug({ frame: message.kind }, 'PIN pad frame nobody waited for');
        return;
    }
    this.#stats.strayEvents++;
  }

  #pinKey(key: MaskedKey): void {
    this.#stats.pinKeys++;
    this.#opts.onPinKey(key);
  }
}
