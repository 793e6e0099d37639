import { ErrorCode, KioskError } from '../../core/errors.js';
import type { LineSettings } from '../../core/line-settings.js';
import type { DeviceModel } from '../harness/device-model.js';
import { Prng } from '../harness/prng.js';
import { TransmitQueue } from '../harness/transmit-queue.js';
import { type EscPosControl, parseEscPosControl } from './controls.js';
import type { EscPosModelConfig } from './options.js';
import { renderPaperSvg } from './paper-svg.js';
import { PrinterUnit } from './printer-unit.js';
import { RealtimeCommandFilter, type RealtimeQuery } from './realtime-commands.js';
import { realtimeStatusByte } from './status-reply.js';

export interface EscPosCounters {
  /** Bytes that arrived while the printer was off or booting, and were lost. */
  bytesLostWhileOff: number;
  realtimeQueries: number;
  bytesOut: number;
  /** Bytes `line.corrupt` flipped a bit of, both directions. */
  corruptedBytes: number;
  /** `DLE DC4 8` executed. */
  bufferClears: number;
}

/** What `DLE DC4 8` answers once the buffers are empty: header 37, identifier 25, NUL. */
const CLEAR_RESPONSE = [0x37, 0x25, 0x00] as const;

/**
 * An ESC/POS thermal receipt printer as a pure state machine: bytes and time in, status bytes
 * out. This class is the serial side: real-time `DLE EOT n` queries taken from the stream as
 * they arrive and answered from the sensors at once (even with the buffer full or the printer
 * offline), the transmit queue, and line noise; the mechanism, paper and sensors are
 * `PrinterUnit`. ASB stays enabled across `ESC @`: it is a communication setting, not a print
 * mode, and drivers send `ESC @` before every receipt; power loss disables it.
 */
export class EscPosModel implements DeviceModel {
  readonly kind = 'escpos';
  readonly line: LineSettings;

  private readonly config: EscPosModelConfig;
  private readonly unit: PrinterUnit;
  private readonly filter = new RealtimeCommandFilter();
  private readonly prng: Prng;
  private readonly outbox = new TransmitQueue();
  private corruptIn = 0;
  private corruptOut = 0;
  private readonly counters: EscPosCounters = {
    bytesLostWhileOff: 0,
    realtimeQueries: 0,
    bytesOut: 0,
    corruptedBytes: 0,
    bufferClears: 0,
  };

  constructor(config: EscPosModelConfig, now = 0) {
    this.config = config;
    this.line = config.line;
    this.prng = new Prng(config.seed);
    this.unit = new PrinterUnit(config, now, (bytes, at) => this.queue(bytes, at));
  }

  // ── DeviceModel ──────────────────────────────────────────────────────────────────────────

  receive(bytes: Uint8Array, now: number): void {
    const unit = this.unit;
    unit.settle(now);
    if (!unit.ready) {
      this.counters.bytesLostWhileOff += bytes.length;
      return;
    }
    for (const part of this.filter.filter(this.corrupt(bytes, 'toDevice'))) {
      if (part.kind === 'data') {
        unit.receive(part.bytes);
      } else if (part.kind === 'status') {
        this.answer(part.query);
      } else {
        this.counters.bufferClears++;
        unit.clearBuffers();
        this.queue(Uint8Array.from(CLEAR_RESPONSE), unit.now + this.config.timing.answerDelayMs);
      }
    }
  }

  advance(now: number): Uint8Array[] {
    this.unit.settle(now);
    return this.outbox.takeDue(now).map((due) => {
      const bytes = this.corrupt(due, 'toHost');
      this.counters.bytesOut += bytes.length;
      return bytes;
    });
  }

  nextDeadline(): number | undefined {
    const times = [this.unit.nextEvent(), this.outbox.nextAt].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  control(command: unknown, now: number): unknown {
    const control = parseEscPosControl(command);
    this.unit.settle(now);
    const result = this.apply(control);
    this.unit.changed();
    return result;
  }

  snapshot(): unknown {
    const unit = this.unit;
    const sensors = unit.sensors;
    return {
      kind: this.kind,
      time: unit.now,
      power: unit.powered ? (unit.ready ? 'on' : 'booting') : 'off',
      sensors,
      paper: {
        remainingMm: unit.paperRemainingMm,
        level: sensors.paperEnd ? 'out' : sensors.paperNearEnd ? 'nearEnd' : 'ok',
        linesUntilEnd: unit.linesUntilEnd ?? null,
        receipts: unit.paper.count,
      },
      cover: unit.coverOpen ? 'open' : 'closed',
      cutter: { jammed: unit.cutterJammed, jamArmed: unit.jamArmed },
      offlineSwitch: unit.offlineSwitch,
      asbEnabled: unit.asbEnabled,
      buffer: {
        bytes: unit.buffer.length,
        capacity: unit.buffer.capacity,
        xoff: unit.buffer.xoff,
        holdUntil: unit.holdUntil ?? null,
        ...unit.buffer.stats,
      },
      printing: unit.busy,
      counters: { ...this.counters, ...unit.counters },
      pendingOutput: this.outbox.length,
      line: { ...this.line },
      flowControl: this.config.flowControl,
    };
  }

  // ── serial side ──────────────────────────────────────────────────────────────────────────

  private answer(query: RealtimeQuery): void {
    this.counters.realtimeQueries++;
    const byte = realtimeStatusByte(query, this.unit.sensors);
    this.queue(Uint8Array.of(byte), this.unit.now + this.config.timing.answerDelayMs);
  }

  /** A `DLE EOT` reply is taken when the query comes; an ASB a later change raises goes behind it. */
  private queue(bytes: Uint8Array, at: number): void {
    this.outbox.append(bytes, at);
  }

  private corrupt(bytes: Uint8Array, direction: 'toHost' | 'toDevice'): Uint8Array {
    let left = direction === 'toHost' ? this.corruptOut : this.corruptIn;
    if (left === 0) return bytes;
    const out = Uint8Array.from(bytes);
    for (let i = 0; i < out.length && left > 0; i++, left--) {
      out[i] = out[i]! ^ (1 << this.prng.below(8));
      this.counters.corruptedBytes++;
    }
    if (direction === 'toHost') this.corruptOut = left;
    else this.corruptIn = left;
    return out;
  }

  // ── controls ─────────────────────────────────────────────────────────────────────────────

  private apply(c: EscPosControl): unknown {
    const unit = this.unit;
    switch (c.action) {
      case 'paper.nearEnd':
        unit.paperRemainingMm = Math.min(unit.paperRemainingMm, this.config.nearEndMm);
        break;
      case 'paper.out':
        unit.paperRemainingMm = 0;
        unit.linesUntilEnd = undefined;
        break;
      case 'paper.outAfter':
        unit.linesUntilEnd = c.lines;
        break;
      case 'paper.load':
        unit.paper.tear(unit.now);
        unit.paperRemainingMm = c.lengthMm ?? this.config.paperLengthMm;
        unit.linesUntilEnd = undefined;
        break;
      case 'cover.open':
        unit.coverOpen = true;
        break;
      case 'cover.close':
        unit.coverOpen = false;
        break;
      case 'cutter.jam':
        unit.jamArmed = true;
        break;
      case 'cutter.clear':
        if (unit.cutterJammed) unit.paper.tear(unit.now);
        unit.cutterJammed = false;
        unit.jamArmed = false;
        break;
      case 'button.feed': {
        // The button does nothing without power, with the cover open or with no paper, as on the real panel.
        const why = !unit.ready
          ? 'the printer is off'
          : unit.coverOpen
            ? 'the cover is open'
            : unit.sensors.paperEnd
              ? 'there is no paper'
              : unit.buttonFeedUntil !== undefined
                ? 'the button is already held'
                : undefined;
        if (why !== undefined) {
          throw new KioskError(ErrorCode.SimBadControl, `button.feed: ${why}`, {
            details: { field: 'action', action: c.action },
          });
        }
        unit.feedByButton(c.ms);
        break;
      }
      case 'printer.offline':
        unit.offlineSwitch = true;
        break;
      case 'printer.online':
        unit.offlineSwitch = false;
        break;
      case 'power.cut':
        unit.powerCut();
        this.filter.reset();
        this.outbox.clear();
        break;
      case 'power.on':
        unit.powerOn();
        break;
      case 'line.corrupt':
        if (c.direction === 'toHost') this.corruptOut = c.bytes;
        else this.corruptIn = c.bytes;
        break;
      case 'xoff.hold':
        if (!unit.ready) return this.refuseWhileOff(c.action);
        unit.holdXoff(c.ms);
        break;
      case 'paper.receipts':
        return { receipts: unit.paper.view(c.last), total: unit.paper.count };
      case 'paper.svg':
        return { svg: renderPaperSvg(unit.paper.view(c.last ?? 5), this.config.columns) };
      case 'status':
        break;
    }
    return this.status();
  }

  private status(): unknown {
    const snapshot = this.snapshot() as Record<string, unknown>;
    return {
      power: snapshot['power'],
      sensors: snapshot['sensors'],
      paper: snapshot['paper'],
      cover: snapshot['cover'],
      cutter: snapshot['cutter'],
      buffer: snapshot['buffer'],
    };
  }

  private refuseWhileOff(action: string): never {
    throw new KioskError(
      ErrorCode.SimBadControl,
      `${action}: the printer is ${this.unit.powered ? 'still booting' : 'off'}; a printer without power sends no XOFF`,
      { details: { field: 'action', action } },
    );
  }
}
