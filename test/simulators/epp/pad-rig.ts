import {
  decodePadMessage,
  EppFrameParser,
  type EppHostCommand,
  type EppPadMessage,
  encodeCommand,
  KEY_BYTES,
} from '../../../devices/pin-pad/epp/codec/index.js';
import { EppModel, type EppModelDeps } from '../../../simulators/epp/epp-model.js';
import { resolveEppOptions } from '../../../simulators/epp/options.js';
import type { EppPadView } from '../../../simulators/epp/pad-view.js';

/** The ZT588-style bare key bytes, for hosts of pads with `keyEvents: rawBytes`. */
export const RAW_KEY_BYTES = new Map(Object.entries(KEY_BYTES).map(([name, byte]) => [byte, name])) as Map<
  number,
  keyof typeof KEY_BYTES
>;

export type Heard = EppPadMessage | { kind: 'rawKey'; key: keyof typeof KEY_BYTES };

/**
 * A host driving the pad model on a virtual clock: it sends commands encoded by the codec,
 * runs the model's own deadlines, and reads what comes back with the codec's parser, as a
 * driver would.
 */
export class PadRig {
  now = 0;
  readonly parser: EppFrameParser;
  /** Everything heard, with the time it was sent. */
  readonly heard: Array<{ at: number; message: Heard }> = [];
  /** Every byte the pad sent, for byte-exact checks. */
  readonly chunks: Array<{ at: number; hex: string }> = [];
  readonly model: EppModel;

  constructor(options: Record<string, unknown> = {}, deps: EppModelDeps = {}) {
    this.model = new EppModel(resolveEppOptions({ timingPreset: 'fast', ...options }), 0, deps);
    this.parser = new EppFrameParser(
      options['keyEvents'] === 'rawBytes' ? { rawKeyBytes: RAW_KEY_BYTES } : {},
    );
  }

  sendBytes(bytes: Uint8Array, waitMs = 0): Heard[] {
    this.model.receive(bytes, this.now);
    return this.run(waitMs);
  }

  /** Sends a command and runs until the pad falls quiet (at most `maxMs`), returning what it said. */
  send(command: EppHostCommand, maxMs = 1000): Heard[] {
    this.model.receive(encodeCommand(command), this.now);
    return this.quiet(maxMs);
  }

  /** The one reply to `command` (events around it are kept in `heard`). */
  ask(command: EppHostCommand): EppPadMessage {
    const replies = this.send(command).filter((m) => !isEvent(m));
    if (replies.length !== 1)
      throw new Error(`expected one reply to ${command.kind}, got ${JSON.stringify(replies)}`);
    return replies[0] as EppPadMessage;
  }

  press(keys: string, intervalMs?: number): Heard[] {
    this.control({ action: 'keys.press', keys, ...(intervalMs === undefined ? {} : { intervalMs }) });
    return this.quiet(60_000, false);
  }

  /** Advances the clock by `ms`, stopping at every deadline the model asks for. */
  run(ms: number): Heard[] {
    const end = this.now + ms;
    const got: Heard[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > 100_000) throw new Error(`model deadline never passes (now ${this.now})`);
      const due = this.model.nextDeadline();
      const step = due !== undefined && due <= end ? Math.max(due, this.now) : end;
      this.now = step;
      for (const chunk of this.model.advance(step)) {
        this.chunks.push({ at: step, hex: Buffer.from(chunk).toString('hex').toUpperCase() });
        for (const item of this.parser.push(chunk)) {
          const message: Heard = item.kind === 'frame' ? decodePadMessage(item.frame) : item;
          got.push(message);
          this.heard.push({ at: step, message });
        }
      }
      if (step >= end && (due === undefined || due > end)) break;
    }
    return got;
  }

  /**
   * Runs until nothing is left to send and no press is pending. A running entry's timeout is
   * a deadline too; `stopAtEntryTimeout` false lets it wait (the caller runs it on purpose).
   */
  quiet(maxMs = 1000, throwIfBusy = true): Heard[] {
    const start = this.now;
    const got: Heard[] = [];
    for (;;) {
      const view = this.state();
      const due = this.model.nextDeadline();
      const outputPending = (this.model.snapshot() as { pendingOutput: number }).pendingOutput > 0;
      if (due === undefined || (!outputPending && view.pendingPresses === 0)) return got;
      if (due - start > maxMs) {
        if (throwIfBusy) throw new Error(`pad still busy after ${maxMs} ms`);
        return got;
      }
      got.push(...this.run(Math.max(0, due - this.now)));
    }
  }

  control(command: Record<string, unknown>): unknown {
    return this.model.control(command, this.now);
  }

  state(): EppPadView {
    return this.model.control({ action: 'state' }, this.now) as EppPadView;
  }

  snapshot(): Record<string, unknown> {
    return this.model.snapshot() as Record<string, unknown>;
  }
}

export function isEvent(message: Heard): boolean {
  return ['pinKey', 'dataKey', 'pinEntryEnded', 'dataEntryEnded', 'rawKey'].includes(message.kind);
}

/** A frame's text between STX and ETX, as epp.md writes the golden frames. */
export function frameText(hex: string): string {
  if (!hex.startsWith('02') || !hex.endsWith('03')) throw new Error(`not a frame: ${hex}`);
  return Buffer.from(hex.slice(2, -2), 'hex').toString('latin1');
}

export const PIN_ENTRY = { minLength: 4, maxLength: 6, timeoutMs: 30_000, autoEnd: false } as const;
