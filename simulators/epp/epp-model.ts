import type { LineSettings } from '../../core/line-settings.js';
import {
  decodeCommand,
  EPP_ERROR_CODES,
  type EppEntryCompletion,
  type EppErrorName,
  type EppFrame,
  EppFrameParser,
  type EppHostCommand,
  type EppPadMessage,
  type EppPadState,
  EVENT_CODES_FIRST,
  EVENT_CODES_LAST,
  encodePadMessage,
  KEY_BYTES,
} from '../../devices/pin-pad/epp/codec/index.js';
import type { DeviceModel } from '../harness/device-model.js';
import { TransmitQueue } from '../harness/transmit-queue.js';
import { type EppControl, parseEppControl, pressesOf } from './controls.js';
import { Finger } from './finger.js';
import { KeyEntry, type PadPress } from './key-entry.js';
import { PadKeyStore } from './key-store.js';
import type { EppModelConfig } from './options.js';
import type { EppCounters, EppPadView } from './pad-view.js';

export interface EppModelDeps {
  /** Fixes format 4's random field (a test vector); a pad draws it from node:crypto. */
  random?: () => Uint8Array;
}

/**
 * An encrypting PIN pad speaking docs/devices/epp.md, as a pure state machine: command frames
 * and time in, replies and unsolicited key events out. The keys and the DUKPT counter are the
 * pad's NVRAM (PadKeyStore) and outlive power cycles; the running entry, a held PIN, the
 * finger's pending presses and the transmit queue are RAM, lost with power. A clear PIN lives
 * only in a KeyEntry's buffer and is zeroed after getPinBlock, cancel, timeout, reset,
 * tamper and power-off.
 */
export class EppModel implements DeviceModel {
  readonly kind = 'epp';
  readonly line: LineSettings;

  private readonly config: EppModelConfig;
  private readonly keys: PadKeyStore;
  private readonly parser = new EppFrameParser();
  private powered = true;
  private readyAt: number;
  private time: number;
  private entry: KeyEntry | undefined;
  /** A PIN entry that ended with enter or auto, waiting for getPinBlock. */
  private heldPin: KeyEntry | undefined;
  private readonly finger = new Finger();
  private readonly outbox = new TransmitQueue();
  private lastReplyAt = -Infinity;
  private readonly counters: EppCounters = {
    commands: 0,
    errorReplies: 0,
    eventCodeCommands: 0,
    pinBlocks: 0,
    beeps: 0,
    acceptedPresses: 0,
    refusedPresses: 0,
    ignoredPresses: 0,
    bytesLostWhileOff: 0,
  };

  constructor(config: EppModelConfig, now = 0, deps: EppModelDeps = {}) {
    this.config = config;
    this.line = config.line;
    this.keys = new PadKeyStore(config.key, deps.random);
    this.time = now;
    this.readyAt = now;
  }

  // ── DeviceModel ──────────────────────────────────────────────────────────────────────────

  receive(bytes: Uint8Array, now: number): void {
    this.settle(now);
    if (!this.ready) {
      this.counters.bytesLostWhileOff += bytes.length;
      return;
    }
    for (const item of this.parser.push(bytes)) {
      if (item.kind === 'frame') this.command(item.frame);
    }
  }

  advance(now: number): Uint8Array[] {
    this.settle(now);
    const out: Uint8Array[] = [];
    out.push(...this.outbox.takeDue(now));
    return out;
  }

  nextDeadline(): number | undefined {
    const times = [this.finger.nextAt, this.entry?.deadline, this.outbox.nextAt].filter(
      (t): t is number => t !== undefined,
    );
    return times.length === 0 ? undefined : Math.min(...times);
  }

  control(command: unknown, now: number): unknown {
    const control = parseEppControl(command);
    this.settle(now);
    return this.apply(control);
  }

  snapshot(): unknown {
    return {
      kind: this.kind,
      time: this.time,
      ...this.state(),
      identity: { ...this.config.identity },
      keyEvents: this.config.keyEvents,
      cancelWhenIdle: this.config.cancelWhenIdle,
      timing: { ...this.config.timing },
      counters: { ...this.counters, parser: this.parser.stats },
      pendingOutput: this.outbox.length,
      line: { ...this.line },
    };
  }

  // ── time ─────────────────────────────────────────────────────────────────────────────────

  private get ready(): boolean {
    return this.powered && this.time >= this.readyAt;
  }

  /** Runs the finger and the entry timeout up to `now`, in time order (a timeout wins a tie). */
  private settle(now: number): void {
    for (;;) {
      const pressAt = this.finger.nextAt ?? Infinity;
      const timeoutAt = this.entry?.deadline ?? Infinity;
      const at = Math.min(pressAt, timeoutAt);
      if (at > now) break;
      this.time = Math.max(this.time, at);
      if (timeoutAt <= pressAt) this.endEntry('timeout');
      else this.pressKey(this.finger.takeDue(at)!);
    }
    this.time = Math.max(this.time, now);
  }

  // ── the keypad ───────────────────────────────────────────────────────────────────────────

  private pressKey(press: PadPress): void {
    const entry = this.entry;
    if (!this.ready || entry === undefined) {
      this.counters.ignoredPresses++;
      return;
    }
    const outcome = entry.press(press, this.time);
    if (!outcome.accepted) {
      this.counters.refusedPresses++;
      // A raw-byte pad sends every key it sees; its host applies the same min/max rules to its
      // count, and restarts its timeout on the key as the pad does.
      if (entry.mode === 'pin' && this.config.keyEvents === 'rawBytes') this.sendKey(entry.mode, press);
      return;
    }
    this.counters.acceptedPresses++;
    this.sendKey(entry.mode, press);
    if (outcome.ended) this.endEntry(outcome.ended);
  }

  private sendKey(mode: KeyEntry['mode'], press: PadPress): void {
    if (mode === 'pin') {
      // The raw-byte dialect sends PIN keys bare (ZT588 style); data entry keeps its frames,
      // since clear digits are hex characters a parser could not tell from frame text.
      if (this.config.keyEvents === 'rawBytes') this.queue(Uint8Array.of(KEY_BYTES[press.key]), this.time);
      else this.send({ kind: 'pinKey', key: press.key }, this.time);
      return;
    }
    this.send(
      press.key === 'digit'
        ? { kind: 'dataKey', key: 'digit', digit: String(press.value) }
        : { kind: 'dataKey', key: press.key },
      this.time,
    );
  }

  /** Ends the running entry; a PIN ended by enter or auto is held, any other is wiped. */
  private endEntry(completion: EppEntryCompletion, at = this.time): void {
    const entry = this.entry;
    if (!entry) return;
    this.entry = undefined;
    if (entry.mode === 'data') {
      this.send({ kind: 'dataEntryEnded', completion, value: entry.text() }, at);
      entry.wipe();
      return;
    }
    const digits = entry.length;
    if (completion === 'enter' || completion === 'auto') this.heldPin = entry;
    else entry.wipe();
    // Raw-byte pads carry no completion: their drivers count the keys.
    if (this.config.keyEvents === 'frames') this.send({ kind: 'pinEntryEnded', completion, digits }, at);
  }

  private dropEntryAndPin(): void {
    this.entry?.wipe();
    this.entry = undefined;
    this.heldPin?.wipe();
    this.heldPin = undefined;
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────────

  private command(frame: EppFrame): void {
    if (frame.code >= EVENT_CODES_FIRST && frame.code <= EVENT_CODES_LAST) {
      this.counters.eventCodeCommands++;
      return;
    }
    this.counters.commands++;
    const command = decodeCommand(frame);
    const reply = this.execute(command, frame.code);
    if (reply.kind === 'error') this.counters.errorReplies++;
    // A PIN block takes the pad's secure processor a little longer; the pad works one command
    // at a time, so a reply never overtakes the one before it.
    const work =
      this.config.timing.answerDelayMs + (reply.kind === 'pinBlock' ? this.config.timing.pinBlockMs : 0);
    const replyAt = Math.max(this.time + work, this.lastReplyAt);
    this.lastReplyAt = replyAt;
    this.send(reply, replyAt);
    // The end of a cancelled entry follows the reply, so the host has its answer first.
    if (command.kind === 'cancelEntry' && reply.kind === 'done') this.endEntry('cancel', replyAt);
  }

  /** Carries out one command and returns its reply; an error reply changes nothing unless said. */
  private execute(command: EppHostCommand, code: number): EppPadMessage {
    const fail = (error: Exclude<EppErrorName, 'unknown'>): EppPadMessage => ({
      kind: 'error',
      commandCode: code,
      error,
      errorCode: EPP_ERROR_CODES[error],
    });
    if (command.kind === 'unknownCommand') return fail(command.malformed ? 'badParameter' : 'unknownCommand');
    if (this.keys.tampered && command.kind !== 'getStatus') return fail('tampered');
    switch (command.kind) {
      case 'reset':
        this.dropEntryAndPin();
        return { kind: 'done', command: 'reset' };
      case 'getStatus':
        return {
          kind: 'status',
          state: this.entryState(),
          keyScheme: this.keys.keyScheme,
          pinReady: this.heldPin !== undefined,
          ...this.config.identity,
        };
      case 'beep':
        this.counters.beeps++;
        return { kind: 'done', command: 'beep' };
      case 'startPinEntry':
      case 'startDataEntry': {
        const pin = command.kind === 'startPinEntry';
        // A pad with no key takes no PIN: it could never encrypt it.
        if (pin && this.keys.keyScheme === 'none') return fail('noKey');
        if (this.entry) return fail('busy');
        // A new entry makes a PIN still held stale: it goes.
        this.dropEntryAndPin();
        const { kind, ...settings } = command;
        this.entry = new KeyEntry(pin ? 'pin' : 'data', settings, this.time);
        return { kind: 'done', command: kind };
      }
      case 'cancelEntry':
        if (!this.entry && this.config.cancelWhenIdle === 'notEntering') return fail('notEntering');
        // The entry itself ends after the reply is queued (command()); a held PIN goes now.
        this.heldPin?.wipe();
        this.heldPin = undefined;
        return { kind: 'done', command: 'cancelEntry' };
      case 'getPinBlock': {
        const error = this.pinBlockRefusal(command);
        if (error !== undefined) return fail(error);
        const held = this.heldPin!;
        const sealed = this.keys.seal(held.text(), command.format, command.account);
        held.wipe();
        this.heldPin = undefined;
        if (!sealed.ok) return fail(sealed.error);
        this.counters.pinBlocks++;
        return { kind: 'pinBlock', format: command.format, pinBlock: sealed.pinBlock, ksn: sealed.ksn };
      }
    }
  }

  /**
   * Why no PIN block now, in the order a pad checks: an entry running, the key (none, wrong
   * format, exhausted), a PIN held, then the account.
   */
  private pinBlockRefusal(
    command: Extract<EppHostCommand, { kind: 'getPinBlock' }>,
  ): Exclude<EppErrorName, 'unknown'> | undefined {
    if (this.entry) return 'busy';
    const refusal = this.keys.refusal(command.format, command.account);
    if (refusal === 'dukptOverflow') {
      // No block can ever be made from it: the PIN is not kept.
      this.heldPin?.wipe();
      this.heldPin = undefined;
    }
    if (refusal !== undefined && refusal !== 'badParameter') return refusal;
    if (!this.heldPin) return 'noPin';
    return refusal;
  }

  private entryState(): EppPadState {
    if (!this.entry) return 'idle';
    return this.entry.mode === 'pin' ? 'pinEntry' : 'dataEntry';
  }

  private send(message: EppPadMessage, at: number): void {
    this.queue(encodePadMessage(message), at);
  }

  /** A reply reaches the UART once the pad has worked on its command; keys pressed meanwhile go first. */
  private queue(bytes: Uint8Array, at: number): void {
    this.outbox.schedule(bytes, at);
  }

  // ── controls ─────────────────────────────────────────────────────────────────────────────

  private apply(c: EppControl): unknown {
    switch (c.action) {
      case 'keys.press': {
        const interval = c.intervalMs ?? this.config.timing.keyIntervalMs;
        const lastPressAt = this.finger.schedule(pressesOf(c.keys), interval, this.time);
        return { ...this.state(), lastPressAt };
      }
      case 'power.off':
        this.powered = false;
        this.dropEntryAndPin();
        this.finger.lift();
        this.outbox.clear();
        this.lastReplyAt = -Infinity;
        this.parser.reset();
        break;
      case 'power.on':
        if (!this.powered) {
          this.powered = true;
          this.readyAt = this.time + this.config.timing.bootMs;
        }
        break;
      case 'tamper':
        if (this.entry) this.endEntry('cancel');
        this.dropEntryAndPin();
        this.finger.lift();
        this.keys.erase();
        break;
      case 'state':
        break;
    }
    return this.state();
  }

  private state(): EppPadView {
    return {
      power: this.powered ? (this.ready ? 'on' : 'booting') : 'off',
      tampered: this.keys.tampered,
      keyScheme: this.keys.keyScheme,
      entry: this.entryState(),
      digits: this.entry?.length ?? 0,
      pinReady: this.heldPin !== undefined,
      ksnCounter: this.keys.counter ?? null,
      keysExhausted: this.keys.exhausted,
      pendingPresses: this.finger.pending,
    };
  }
}
