import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConditionByArrival } from '../../../../../devices/printer/escpos/condition-by-arrival.js';
import { PrinterLine } from '../../../../../devices/printer/escpos/printer-line.js';
import {
  IDLE_PRINTER_CONDITION,
  type PrinterCondition,
} from '../../../../../devices/printer/printer-status.js';
import type { LinePort } from '../../../../../devices/transport/command-line.js';
import { silentLogger } from '../../../../../src/log.js';

/*
 * Bytes from PROTOCOLS.md's ESC/POS bit tables: a DLE EOT reply is 0xx1xx10, the first ASB byte
 * 0xx1xx00. 0x12: a reply with no bit set (online, cover shut). 0x38: ASB first byte with
 * offline (bit 3) and cover open (bit 5).
 */
const REPLY_ALL_CLEAR = 0x12;
const ASB_COVER_OPEN = [0x38, 0x00, 0x00, 0x00];

/** A port that answers each DLE EOT n with the bytes the script gives for n, in one chunk. */
class ScriptedPort extends EventEmitter implements LinePort {
  constructor(private readonly answers: Record<number, number[]>) {
    super();
  }

  async write(bytes: Uint8Array): Promise<void> {
    // DLE EOT n is 10 04 n.
    if (bytes[0] !== 0x10 || bytes[1] !== 0x04) return;
    const answer = this.answers[bytes[2]!] ?? [REPLY_ALL_CLEAR];
    setImmediate(() => this.emit('data', Buffer.from(answer)));
  }
}

describe('printer frames applied in arrival order', () => {
  it('a reply that came in one read with a later ASB does not undo it', async () => {
    // The cover opened just after the printer took DLE EOT 2: its reply (cover shut) and the
    // ASB (cover open) leave the printer together.
    const port = new ScriptedPort({ 2: [REPLY_ALL_CLEAR, ...ASB_COVER_OPEN] });
    const merged = new ConditionByArrival();
    const calls: string[] = [];
    const line = new PrinterLine({
      port,
      name: 'printer',
      answerTimeoutMs: 1_000,
      logger: silentLogger(),
      onAsb: (condition, arrival) => {
        calls.push(`asb#${arrival}`);
        merged.apply(condition, arrival);
      },
      onFlow: () => undefined,
    });
    line.open();
    let applied = 0;
    await line.readCondition((part, arrival) => {
      applied++;
      calls.push(`reply${applied}#${arrival}`);
      merged.apply(part, arrival);
    });
    // The ASB reaches the driver before the reply that came ahead of it...
    expect(calls).toEqual(['reply1#1', 'asb#3', 'reply2#2', 'reply3#4', 'reply4#5']);
    // ...and still wins: the cover is open.
    expect(merged.current).toMatchObject({ offline: true, coverOpen: true });
    line.close(new Error('done') as never);
  });
});

describe('ConditionByArrival', () => {
  const asbCoverOpen: PrinterCondition = { ...IDLE_PRINTER_CONDITION, offline: true, coverOpen: true };

  it('keeps a newer fact against an older frame applied later, and takes what is newer', () => {
    const merged = new ConditionByArrival();
    merged.apply(asbCoverOpen, 7);
    expect(merged.apply({ coverOpen: false }, 6)).toMatchObject({ coverOpen: true, offline: true });
    expect(merged.apply({ coverOpen: false }, 8)).toMatchObject({ coverOpen: false, offline: true });
    expect(merged.apply({ offline: false }, 9)).toEqual(IDLE_PRINTER_CONDITION);
  });

  it('starts from idle, and forgets arrival numbers on reset', () => {
    const merged = new ConditionByArrival();
    expect(merged.current).toBeUndefined();
    expect(merged.apply({ paper: 'nearEnd' }, 3)).toEqual({ ...IDLE_PRINTER_CONDITION, paper: 'nearEnd' });
    merged.reset();
    expect(merged.current).toBeUndefined();
    expect(merged.apply({ paper: 'out' }, 1)).toEqual({ ...IDLE_PRINTER_CONDITION, paper: 'out' });
  });
});
