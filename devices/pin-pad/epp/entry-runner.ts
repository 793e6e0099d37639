import { performance } from 'node:perf_hooks';
import type { Clock } from '../../../core/clock.js';
import { ErrorCode, KioskError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { LineAnswer } from '../../transport/command-line.js';
import type { EntryOptions, MaskedKey } from '../pin-pad.js';
import type { EppHostCommand, EppPadMessage, EppPadState } from './codec/index.js';
import { EntryKeys, type EntryKeysStats } from './entry-keys.js';
import { type EntryEnd, type EntryKind, PadEntry } from './pad-entry.js';
import { unexpectedReply } from './pad-errors.js';
import type { EppInbound } from './pad-line.js';

export interface EntryRunnerOptions {
  name: string;
  log: Logger;
  clock: Clock;
  answerTimeoutMs: number;
  /** The pad sends PIN keys as bare bytes and no end event. */
  rawKeys: boolean;
  /** The pad's reply to a command, error replies included. */
  send(command: EppHostCommand): Promise<LineAnswer<EppPadMessage>>;
  /** The pad's OK reply to a command; an error reply throws what it means. */
  command(command: EppHostCommand): Promise<EppPadMessage>;
  /** What an error reply to `command` means (and the driver's note of a key fault). */
  refused(command: string, reply: Extract<EppPadMessage, { kind: 'error' }>): KioskError;
  onPinKey(key: MaskedKey): void;
  onDataKey(key: { key: MaskedKey; digit?: string }): void;
  /** The pad may hold an entry or a PIN the host knows nothing of: reset it before anything else. */
  resetPad(why: string): void;
  /** An entry began or ended (`end` is undefined when it failed). */
  changed(entry: PadEntry, end?: EntryEnd): void;
}

/**
 * The one entry the pad may be taking: starts it, routes the pad's key and end events to it
 * (EntryKeys), cancels it, fails it when the line or the pad gives out, and checks it against
 * what the pad's status replies say.
 */
export class EntryRunner {
  readonly #opts: EntryRunnerOptions;
  readonly #keys: EntryKeys;
  #entry: PadEntry | undefined;
  /** performance.now() when the last entry ended: a status read written before it is stale. */
  #endedAt = 0;
  #lostEnds = 0;

  constructor(options: EntryRunnerOptions) {
    this.#opts = options;
    this.#keys = new EntryKeys({
      rawKeys: options.rawKeys,
      clock: options.clock,
      onPinKey: options.onPinKey,
      onDataKey: options.onDataKey,
      end: (entry, end) => this.#ended(entry, end),
      log: options.log,
    });
  }

  get current(): PadEntry | undefined {
    return this.#entry;
  }

  get stats(): EntryKeysStats & { lostEntryEnds: number } {
    return { ...this.#keys.stats, lostEntryEnds: this.#lostEnds };
  }

  /** What the pad sent between replies. */
  handle(inbound: EppInbound): void {
    this.#keys.handle(this.#entry, inbound);
  }

  /** Starts an entry (the caller checked none runs) and resolves when it ends. */
  async run(kind: EntryKind, session: number, options: EntryOptions): Promise<EntryEnd> {
    const entry = new PadEntry(kind, session, options);
    this.#entry = entry;
    this.#keys.started(entry);
    this.#opts.changed(entry);
    const command = kind === 'pin' ? 'startPinEntry' : 'startDataEntry';
    try {
      const answer = await this.#opts.send({ kind: command, ...options });
      if (answer.reply.kind !== 'done') {
        throw answer.reply.kind === 'error'
          ? this.#opts.refused(command, answer.reply)
          : unexpectedReply(this.#opts.name, command, answer.reply);
      }
      entry.acknowledgedAt = answer.receivedAt;
    } catch (error) {
      // A start that went unanswered may still have begun on the pad: the status poll finds such
      // an entry and cancels it.
      this.fail(error, entry);
      throw error;
    }
    this.#opts.log.info({ entry: kind, ...options }, 'entry started');
    return entry.promise;
  }

  /** Ends the running entry as `cancel`; resolves once its promise has settled. */
  async cancel(): Promise<void> {
    const entry = this.#entry;
    if (!entry) return;
    if (this.#keys.cancelCounted(entry)) {
      // A raw-key pad learns of the end from the host.
      await this.#opts
        .command({ kind: 'cancelEntry' })
        .catch((error: unknown) =>
          this.#opts.log.warn(
            { err: error },
            'PIN pad did not take cancelEntry after the driver ended the entry',
          ),
        );
      return;
    }
    await this.#opts.command({ kind: 'cancelEntry' });
    if (entry.settled) return;
    // The pad said OK: its end event is on its way. Should it be lost, the entry is over anyway.
    const ended = await Promise.race([
      entry.promise.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) =>
        this.#opts.clock.setTimer(() => resolve(false), this.#opts.answerTimeoutMs),
      ),
    ]);
    if (!ended) {
      this.#lostEnds++;
      this.#ended(entry, { completion: 'cancel', digits: 0, value: '' });
    }
  }

  /** Fails the running entry (or only `which`, when it is still the running one). */
  fail(error: unknown, which?: PadEntry): void {
    const entry = this.#entry;
    if (!entry || (which && which !== entry)) return;
    this.#entry = undefined;
    this.#endedAt = performance.now();
    this.#keys.stopped(entry);
    if (entry.fail(error)) this.#opts.log.warn({ entry: entry.kind, err: error }, 'entry failed');
    this.#opts.changed(entry);
  }

  /**
   * The pad reports its state in order with its events: a status read written after the entry
   * was acknowledged that says idle means the end event was lost (line noise); one that says an
   * entry runs when the host knows none means an entry half-done. Either way the pad may hold
   * what the host does not know of (a PIN, an entry), so it is reset.
   */
  checkAgainst(state: EppPadState, writtenAt: number): void {
    const entry = this.#entry;
    if (
      entry &&
      !this.#keys.counting(entry) &&
      entry.acknowledgedAt !== undefined &&
      writtenAt > entry.acknowledgedAt &&
      state === 'idle'
    ) {
      this.#lostEnds++;
      this.fail(
        new KioskError(
          ErrorCode.DeviceProtocol,
          `PIN pad ${this.#opts.name} ended the entry but its end event was lost`,
          { details: { device: this.#opts.name, entry: entry.kind } },
        ),
      );
      this.#opts.resetPad('an entry ended whose end event was lost');
    } else if (!entry && state !== 'idle' && writtenAt > this.#endedAt) {
      this.#opts.resetPad('the pad runs an entry the host knows nothing of');
    }
  }

  #ended(entry: PadEntry, end: EntryEnd): void {
    if (this.#entry !== entry) return;
    this.#entry = undefined;
    this.#endedAt = performance.now();
    this.#keys.stopped(entry);
    entry.finish(end);
    this.#opts.log.info(
      {
        entry: entry.kind,
        completion: end.completion,
        ...(entry.kind === 'pin' ? { digits: end.digits } : {}),
      },
      'entry ended',
    );
    this.#opts.changed(entry, end);
  }
}
