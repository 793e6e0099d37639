import {
  decodeAsb,
  decodeRealtimeStatus,
  encodeDocument,
  type PrinterInbound,
  PrinterInboundParser,
  realtimeStatusRequest,
  type StatusQuery,
} from '../../../devices/printer/escpos/codec/index.js';
import type { PrinterDocument } from '../../../devices/printer/printer-document.js';
import type { PrinterCondition } from '../../../devices/printer/printer-status.js';
import { escposSimulatorFactory } from '../../../simulators/escpos/escpos-factory.js';
import type { ReceiptView } from '../../../simulators/escpos/virtual-paper.js';

export interface PrinterSnapshot {
  power: 'on' | 'off' | 'booting';
  sensors: Record<string, boolean>;
  paper: { remainingMm: number; level: string; linesUntilEnd: number | null; receipts: number };
  cover: 'open' | 'closed';
  cutter: { jammed: boolean; jamArmed: boolean };
  offlineSwitch: boolean;
  asbEnabled: number;
  buffer: {
    bytes: number;
    capacity: number;
    xoff: boolean;
    holdUntil: number | null;
    bytesIn: number;
    overflowedBytes: number;
    xoffSent: number;
    xonSent: number;
  };
  printing: boolean;
  counters: Record<string, number>;
}

/**
 * A host driving the printer model on a virtual clock: it sends bytes (documents encoded by
 * the codec), runs the model's own deadlines, and reads what comes back with the codec's
 * inbound parser, as a driver would.
 */
export class PrinterRig {
  now = 0;
  readonly parser = new PrinterInboundParser();
  /** Everything received, with the time it arrived. */
  readonly inbound: Array<{ at: number; message: PrinterInbound }> = [];
  readonly raw: number[] = [];
  readonly model;

  constructor(options: Record<string, unknown> = {}) {
    this.model = escposSimulatorFactory.create({ timingPreset: 'fast', ...options });
  }

  send(bytes: Uint8Array, waitMs = 0): PrinterInbound[] {
    this.model.receive(bytes, this.now);
    return this.run(waitMs);
  }

  print(document: PrinterDocument, columns: 32 | 42 | 48 = 48): PrinterInbound[] {
    return this.send(encodeDocument(document, { columns }));
  }

  /** Advances the clock by `ms`, stopping at every deadline the model asks for. */
  run(ms: number): PrinterInbound[] {
    const end = this.now + ms;
    const got: PrinterInbound[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error(`model deadline never passes (now ${this.now})`);
      const due = this.model.nextDeadline();
      const step = due !== undefined && due <= end ? Math.max(due, this.now) : end;
      this.now = step;
      for (const chunk of this.model.advance(step)) {
        this.raw.push(...chunk);
        for (const message of this.parser.push(chunk)) {
          got.push(message);
          this.inbound.push({ at: step, message });
        }
      }
      if (step >= end && (due === undefined || due > end)) break;
    }
    return got;
  }

  /** Runs until the model has nothing more to do (the receipt is out), at most `maxMs`. */
  settle(maxMs = 60_000): PrinterInbound[] {
    const got: PrinterInbound[] = [];
    const start = this.now;
    for (;;) {
      const due = this.model.nextDeadline();
      if (due === undefined) return got;
      if (due - start > maxMs) throw new Error(`printer still busy after ${maxMs} ms`);
      got.push(...this.run(Math.max(0, due - this.now)));
    }
  }

  /** `DLE EOT n` and its one reply byte, decoded by the codec. */
  query(n: StatusQuery): Partial<PrinterCondition> {
    this.parser.expectReply(n);
    const replies = this.send(realtimeStatusRequest(n), 5).filter((m) => m.kind === 'realtime');
    if (replies.length !== 1) throw new Error(`expected one reply to DLE EOT ${n}, got ${replies.length}`);
    const reply = replies[0] as Extract<PrinterInbound, { kind: 'realtime' }>;
    return decodeRealtimeStatus(n, reply.byte);
  }

  /** All four queries merged: what a driver would believe. */
  condition(): Partial<PrinterCondition> {
    return { ...this.query(1), ...this.query(2), ...this.query(3), ...this.query(4) };
  }

  asbConditions(
    messages: readonly PrinterInbound[] = this.inbound.map((i) => i.message),
  ): PrinterCondition[] {
    return messages.flatMap((m) => (m.kind === 'asb' ? [decodeAsb(m.message)] : []));
  }

  flow(messages: readonly PrinterInbound[] = this.inbound.map((i) => i.message)): string[] {
    return messages.flatMap((m) => (m.kind === 'flow' ? [m.flow] : []));
  }

  control(command: Record<string, unknown>): unknown {
    return this.model.control(command, this.now);
  }

  receipts(last?: number): ReceiptView[] {
    const result = this.control({ action: 'paper.receipts', ...(last === undefined ? {} : { last }) }) as {
      receipts: ReceiptView[];
    };
    return result.receipts;
  }

  snapshot(): PrinterSnapshot {
    return this.model.snapshot() as PrinterSnapshot;
  }
}

/** A receipt like the kiosk's: Chinese and English text, styling, a rule, a QR code, feed and cut. */
export const SAMPLE_RECEIPT: PrinterDocument = {
  blocks: [
    { kind: 'text', text: '中国移动 充值凭证', align: 'center', bold: true, size: 'double' },
    { kind: 'text', text: 'Mobile top-up receipt', align: 'center' },
    { kind: 'rule' },
    { kind: 'text', text: '账号 Account: 138****5678' },
    { kind: 'text', text: '金额 Amount: ￥150.00', bold: true },
    { kind: 'text', text: '100元 x1  50元 x1', align: 'right' },
    { kind: 'qr', payload: 'PAY-2026-000123', moduleSize: 6, errorLevel: 'M', align: 'center' },
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  ],
};

/** The printed lines of SAMPLE_RECEIPT at 48 columns (text and rule lines; feeds are not lines). */
export const SAMPLE_LINES = [
  '中国移动 充值凭证',
  'Mobile top-up receipt',
  '-'.repeat(48),
  '账号 Account: 138****5678',
  '金额 Amount: ￥150.00',
  '100元 x1  50元 x1',
];

export const ASB_ALL = Uint8Array.of(0x1d, 0x61, 0x0f);
