import {
  type AcceptorReply,
  decodeReply,
  encodeCommand,
  type HostCommand,
  Id003FrameParser,
} from '../../../devices/cash-acceptor/id003/codec/index.js';
import type { DeviceModel } from '../../../simulators/harness/device-model.js';
import type { LedgerEntry } from '../../../simulators/id003/cashbox-ledger.js';
import { id003SimulatorFactory } from '../../../simulators/id003/id003-factory.js';
import { describeReply, type Id003Model } from '../../../simulators/id003/id003-model.js';

/**
 * A host driving the model on a virtual clock: it encodes commands with the codec, runs the
 * model's own deadlines, and decodes what comes back with the codec's reply decoder.
 */
export class VirtualHost {
  now = 0;
  private readonly parser = new Id003FrameParser();
  /** Every answer received, with the time it started. */
  readonly received: Array<{ at: number; reply: AcceptorReply }> = [];

  constructor(readonly model: DeviceModel) {}

  sendBytes(bytes: Uint8Array, waitMs = 1): AcceptorReply[] {
    this.model.receive(bytes, this.now);
    return this.run(waitMs);
  }

  send(cmd: HostCommand, waitMs = 1): AcceptorReply[] {
    return this.sendBytes(encodeCommand(cmd), waitMs);
  }

  /** Sends a command that must be answered exactly once; returns the answer as a short name. */
  ask(cmd: HostCommand): string {
    const replies = this.send(cmd);
    if (replies.length !== 1) throw new Error(`expected one answer to ${cmd.kind}, got ${replies.length}`);
    return describeReply(replies[0]!);
  }

  poll(): string {
    return this.ask({ kind: 'statusRequest' });
  }

  /** Advances the clock by `ms`, stopping at every deadline the model asks for. */
  run(ms: number): AcceptorReply[] {
    const end = this.now + ms;
    const replies: AcceptorReply[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > 100_000) throw new Error(`model deadline never passes (now ${this.now})`);
      const due = this.model.nextDeadline();
      const step = due !== undefined && due <= end ? Math.max(due, this.now) : end;
      this.now = step;
      for (const chunk of this.model.advance(step)) {
        for (const frame of this.parser.push(chunk)) {
          const reply = decodeReply(frame);
          replies.push(reply);
          this.received.push({ at: step, reply });
        }
      }
      if (step >= end && (due === undefined || due > end)) break;
    }
    return replies;
  }

  /** Polls every `intervalMs` until the status satisfies `done`; returns every status seen. */
  pollUntil(done: (status: string) => boolean, maxMs = 2000, intervalMs = 5): string[] {
    const seen: string[] = [];
    const start = this.now;
    while (this.now - start <= maxMs) {
      const status = this.poll();
      seen.push(status);
      if (done(status)) return seen;
      this.run(intervalMs);
    }
    throw new Error(`status never matched within ${maxMs} ms; saw ${[...new Set(seen)].join(', ')}`);
  }

  control(command: Record<string, unknown>): unknown {
    return this.model.control(command, this.now);
  }

  snapshot(): Id003Snapshot {
    return this.model.snapshot() as Id003Snapshot;
  }

  ledger(): LedgerEntry[] {
    return this.control({ action: 'ledger' }) as LedgerEntry[];
  }

  /** Poll, RESET, wait out INITIALIZE, enable every note, inhibit off: the unit ends up idling. */
  startUp(): void {
    this.poll();
    if (this.ask({ kind: 'reset' }) !== 'ack') throw new Error('RESET not acknowledged');
    this.ask({ kind: 'setEnable', disabledMask: 0 });
    this.pollUntil((s) => s === 'disabled' || s === 'stackerFull');
    this.ask({ kind: 'setInhibit', inhibit: false });
  }

  /** Inserts a note and polls until it is in escrow; returns the note id. */
  escrow(note: Record<string, unknown> = {}): string {
    const { noteId } = this.control({ action: 'note.insert', ...note }) as { noteId: string };
    this.pollUntil((s) => s.startsWith('escrow'));
    return noteId;
  }
}

export interface Id003Snapshot {
  phase: string;
  status: string | null;
  powered: boolean;
  note: { noteId: string; where: string | undefined } | null;
  notes: Array<{ noteId: string; outcome: string }>;
  settings: Record<string, unknown>;
  faults: Record<string, unknown>;
  cashbox: { notes: number; total: number; counts: Record<string, number>; present: boolean; full: boolean };
  counters: Record<string, number>;
  lineFaults: Record<string, unknown>;
}

export const FAST: Record<string, unknown> = { timingPreset: 'fast' };

/** The fast unit; it answers the host's ACK so `ask({kind:'ack'})` works, unless `options` say not. */
export function fastHost(options: Record<string, unknown> = {}): VirtualHost {
  return new VirtualHost(
    id003SimulatorFactory.create({ ...FAST, answersHostAck: true, ...options }) as Id003Model,
  );
}
