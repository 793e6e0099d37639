import type { PrintedItem } from '../../devices/printer/escpos/codec/index.js';

export type PaperLine = Extract<PrintedItem, { kind: 'line' }>;
export type PaperQr = Extract<PrintedItem, { kind: 'qr' }>;
/** What is on a receipt, top to bottom; feeds are blank paper between. */
export type PaperMark = PaperLine | PaperQr | Extract<PrintedItem, { kind: 'feed' }>;

/**
 * How a receipt left the printer: cut by the cutter, torn off by hand (paper taken out, a jam
 * cleared), or still hanging from the head.
 */
export type ReceiptEnd = 'cut' | 'torn' | 'printing';

export interface Receipt {
  /** 1 for the first receipt since the simulator started, counting those no longer kept. */
  number: number;
  marks: PaperMark[];
  end: ReceiptEnd;
  /** Model time the first mark came out of the head. */
  startedAt: number;
  /** Model time it was cut or torn off; null while printing. */
  endedAt: number | null;
}

/** What `paper.receipts` answers per receipt: what a customer would hold. */
export interface ReceiptView {
  number: number;
  /** Text lines in order, as printed (blank lines included; feeds are not lines). */
  lines: string[];
  qr: string[];
  cut: boolean;
  end: ReceiptEnd;
  startedAt: number;
  endedAt: number | null;
  /** Everything with its styling, for renderers. */
  marks: PaperMark[];
}

/**
 * The printed paper. Marks go onto the receipt under the head; a cut or a tear closes it and
 * the next mark starts a new one. Keeps the last `maxReceipts`.
 */
export class VirtualPaper {
  private readonly receipts: Receipt[] = [];
  private current: Receipt | undefined;
  private started = 0;

  constructor(private readonly maxReceipts: number) {}

  /** Receipts started since the simulator started, including those no longer kept. */
  get count(): number {
    return this.started;
  }

  print(mark: PaperMark, at: number): void {
    this.underHead(at).marks.push(mark);
  }

  /** The cutter went through: the receipt is in the customer's hand, even a blank one. */
  cut(at: number): void {
    const receipt = this.underHead(at);
    receipt.end = 'cut';
    receipt.endedAt = at;
    this.current = undefined;
  }

  /** Someone tore the paper off above the head; nothing happens to blank paper. */
  tear(at: number): void {
    if (this.current === undefined) return;
    this.current.end = 'torn';
    this.current.endedAt = at;
    this.current = undefined;
  }

  private underHead(at: number): Receipt {
    if (this.current === undefined) {
      this.current = { number: ++this.started, marks: [], end: 'printing', startedAt: at, endedAt: null };
      this.receipts.push(this.current);
      if (this.receipts.length > this.maxReceipts) this.receipts.shift();
    }
    return this.current;
  }

  /** The last `last` receipts (all kept when omitted), oldest first. */
  view(last?: number): ReceiptView[] {
    const kept = last === undefined ? this.receipts : this.receipts.slice(-last);
    return kept.map((r) => ({
      number: r.number,
      lines: r.marks.flatMap((m) => (m.kind === 'line' ? [m.text] : [])),
      qr: r.marks.flatMap((m) => (m.kind === 'qr' ? [m.payload] : [])),
      cut: r.end === 'cut',
      end: r.end,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      marks: r.marks.map((m) => ({ ...m })),
    }));
  }
}
