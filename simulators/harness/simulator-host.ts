import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { type Clock, realClock, type TimerHandle } from '../../core/clock.js';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { actionOf, parseControl } from './control-parse.js';
import type { DeviceModel } from './device-model.js';
import { type LineDirection, type LineFaults, SimLine, type SimLineSnapshot } from './sim-line.js';

export interface SimulatorHostOptions {
  /** Name used in logs and on the control channel; the model's kind by default. */
  name?: string;
  clock?: Clock;
  /** Seed of the line-fault PRNG (random when omitted; the snapshot shows the one in use). */
  seed?: number;
  /** Pace bytes at the model's wire time (default true). */
  wireTime?: boolean;
  faults?: Partial<LineFaults>;
  logger?: Logger;
}

export type CableState = 'plugged' | 'unplugged';

export interface SimulatorHostSnapshot {
  name: string;
  kind: string;
  cable: CableState;
  line: SimLineSnapshot & { lostChunks: number };
  /** Set once the model threw: the host stops driving it and the device falls silent. */
  fault?: string;
  model: unknown;
}

export interface SimulatorHostEvents {
  unplug: [];
  plug: [];
  close: [];
}

interface InFlight {
  direction: LineDirection;
  bytes: Uint8Array;
  at: number;
}

const bareAction = (action: string) => z.strictObject({ action: z.literal(action) });
const unplugSchema = bareAction('cable.unplug');
const plugSchema = bareAction('cable.plug');

/**
 * Runs one DeviceModel in real time behind a simulated cable. Time advances by events, not by
 * polling: one timer is armed at the earliest of the model's deadline and the next chunk due
 * off the wire, and re-armed after every receive, advance and control, so an idle device
 * costs nothing. Events are processed in time order even when the timer fires late, so the
 * model sees the same times it would on a perfectly punctual machine.
 */
export class SimulatorHost extends EventEmitter<SimulatorHostEvents> {
  readonly name: string;
  readonly model: DeviceModel;
  readonly line: SimLine;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly toHostListeners = new Set<(bytes: Uint8Array) => void>();
  private inFlight: InFlight[] = [];
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  /** The latest time the model has been told; starts at the host's creation. */
  private modelTime: number;
  private lastAdvanceAt = -Infinity;
  private cableState: CableState = 'plugged';
  private lostChunks = 0;
  private owner: string | undefined;
  private fault: string | undefined;
  private closed = false;

  constructor(model: DeviceModel, options: SimulatorHostOptions = {}) {
    super();
    this.model = model;
    this.name = options.name ?? model.kind;
    this.clock = options.clock ?? realClock;
    this.modelTime = this.clock.now();
    this.logger = (options.logger ?? silentLogger()).child({ simulator: this.name });
    this.line = new SimLine({
      line: model.line,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.wireTime === undefined ? {} : { wireTime: options.wireTime }),
      ...(options.faults === undefined ? {} : { faults: options.faults }),
    });
  }

  get kind(): string {
    return this.model.kind;
  }

  get cable(): CableState {
    return this.cableState;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Claims the device end of the cable, like opening a tty with lock: true. Only one port may
   * talk to a device at a time; the returned function releases it.
   */
  attach(owner: string): () => void {
    if (this.owner !== undefined) {
      throw new KioskError(ErrorCode.SimPortBusy, `simulator ${this.name} is already open by ${this.owner}`, {
        details: { device: this.name, owner: this.owner },
      });
    }
    this.owner = owner;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.owner = undefined;
    };
  }

  /** Bytes the host wrote, one write = one chunk on the wire. Lost while the cable is out. */
  fromHost(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (this.cableState === 'unplugged') {
      this.lostChunks++;
      return;
    }
    this.send('toDevice', Uint8Array.from(bytes), this.clock.now());
    this.pump();
  }

  /** Subscribes to bytes arriving at the host end of the cable; returns the unsubscribe. */
  onToHost(listener: (bytes: Uint8Array) => void): () => void {
    this.toHostListeners.add(listener);
    return () => {
      this.toHostListeners.delete(listener);
    };
  }

  /**
   * A physical-world action. Harness actions (cable, line) are handled here; the rest go to the
   * model. Bad commands throw SimBadControl and change nothing.
   */
  control(command: unknown): unknown {
    if (this.closed) {
      throw new KioskError(ErrorCode.SimUnknownDevice, `simulator ${this.name} is closed`, {
        details: { device: this.name },
      });
    }
    const action = actionOf(command);
    switch (action) {
      case 'cable.unplug':
        parseControl(unplugSchema, command);
        this.unplug();
        return { cable: this.cableState };
      case 'cable.plug':
        parseControl(plugSchema, command);
        this.plug();
        return { cable: this.cableState };
      case 'line.set': {
        const { action: _action, ...settings } = command as Record<string, unknown>;
        const line = this.line.configure(settings);
        this.logger.info({ line }, 'line settings changed');
        this.pump();
        return { line };
      }
      default: {
        // Bring the model up to date first, so the action lands at the right point in its life.
        this.pump();
        const result = this.model.control(command, this.advanceClock());
        this.lastAdvanceAt = -Infinity;
        this.logger.info({ action }, 'device control');
        this.pump();
        return result;
      }
    }
  }

  snapshot(): SimulatorHostSnapshot {
    return {
      name: this.name,
      kind: this.kind,
      cable: this.cableState,
      line: { ...this.line.snapshot(), lostChunks: this.lostChunks },
      ...(this.fault === undefined ? {} : { fault: this.fault }),
      model: this.model.snapshot(),
    };
  }

  /** Stops the clock work; ports attached to this device see a disconnect. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
    this.inFlight = [];
    this.toHostListeners.clear();
    this.emit('close');
  }

  private unplug(): void {
    if (this.cableState === 'unplugged') return;
    this.cableState = 'unplugged';
    // Whatever was on the wire is gone with the cable.
    this.lostChunks += this.inFlight.length;
    this.inFlight = [];
    this.line.idle();
    this.logger.info('cable unplugged');
    this.emit('unplug');
    this.pump();
  }

  private plug(): void {
    if (this.cableState === 'plugged') return;
    this.cableState = 'plugged';
    this.logger.info('cable plugged');
    this.emit('plug');
    this.pump();
  }

  /** Model time never runs backwards, even if the injected clock were to. */
  private advanceClock(): number {
    this.modelTime = Math.max(this.modelTime, this.clock.now());
    return this.modelTime;
  }

  private send(direction: LineDirection, bytes: Uint8Array, now: number): void {
    const delivery = this.line.transmit(direction, bytes, now);
    if (!delivery) return;
    const item: InFlight = { direction, bytes: delivery.bytes, at: delivery.at };
    // The line never reorders within a direction, so inserting after every item due no later
    // keeps the queue in time order and stable.
    let index = this.inFlight.length;
    while (index > 0 && (this.inFlight[index - 1]?.at ?? 0) > item.at) index--;
    this.inFlight.splice(index, 0, item);
  }

  /**
   * The model's deadline. One it has already been advanced to is a model bug; it is pushed to
   * a millisecond after the present, so such a model is polled, never spun on.
   */
  private modelDeadline(now: number): number | undefined {
    if (this.fault !== undefined) return undefined;
    const deadline = this.model.nextDeadline();
    if (deadline === undefined) return undefined;
    return deadline <= this.lastAdvanceAt ? Math.max(this.lastAdvanceAt, now) + 1 : deadline;
  }

  private pump(): void {
    if (this.closed) return;
    try {
      this.runDue(this.clock.now());
    } catch (error) {
      this.fault = error instanceof Error ? error.message : String(error);
      this.logger.error({ err: error }, 'device model failed; the simulated device is now silent');
    }
    this.arm();
  }

  private runDue(now: number): void {
    for (;;) {
      const next = this.inFlight[0];
      const deadline = this.modelDeadline(now);
      const nextAt = next?.at ?? Infinity;
      const deadlineAt = deadline ?? Infinity;
      if (Math.min(nextAt, deadlineAt) > now) return;
      if (next && nextAt <= deadlineAt) {
        this.inFlight.shift();
        this.deliver(next);
      } else {
        this.advanceModel(deadlineAt);
      }
    }
  }

  private deliver(item: InFlight): void {
    if (item.direction === 'toHost') {
      for (const listener of [...this.toHostListeners]) {
        try {
          listener(item.bytes);
        } catch (error) {
          // A failing port must not pass for a failing device model.
          this.logger.error({ err: error }, 'a listener failed on bytes from the device');
        }
      }
      return;
    }
    if (this.fault !== undefined) return;
    this.modelTime = Math.max(this.modelTime, item.at);
    this.model.receive(item.bytes, this.modelTime);
    // New input may legitimately want an answer at this very instant.
    this.lastAdvanceAt = -Infinity;
  }

  private advanceModel(at: number): void {
    this.modelTime = Math.max(this.modelTime, at);
    this.lastAdvanceAt = this.modelTime;
    const chunks = this.model.advance(this.modelTime);
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      if (this.cableState === 'unplugged') {
        this.lostChunks++;
        continue;
      }
      this.send('toHost', chunk, this.modelTime);
    }
  }

  private arm(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const nextAt = Math.min(this.inFlight[0]?.at ?? Infinity, this.modelDeadline(now) ?? Infinity);
    if (nextAt === this.timerAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
    if (nextAt === Infinity) return;
    this.timerAt = nextAt;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.pump();
    }, nextAt - now);
  }
}
