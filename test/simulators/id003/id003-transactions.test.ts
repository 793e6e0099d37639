import { describe, expect, it } from 'vitest';
import { FAST_TIMING } from '../../../simulators/id003/timing.js';
import { fastHost } from './virtual-host.js';

const DENOMINATIONS = [
  { escrowCode: 0x61, fen: 100 },
  { escrowCode: 0x62, fen: 500 },
  { escrowCode: 0x63, fen: 1000 },
  { escrowCode: 0x64, fen: 2000 },
  { escrowCode: 0x65, fen: 5000 },
  { escrowCode: 0x66, fen: 10000 },
];

describe('id003 simulator: accepting and stacking notes', () => {
  for (const { escrowCode, fen } of DENOMINATIONS) {
    it(`STACK-2 of ${fen} fen: the note is in the cashbox before VEND VALID is reported`, () => {
      const host = fastHost();
      host.startUp();
      const noteId = host.escrow({ denomination: fen });
      expect(host.poll()).toBe(`escrow:0x${escrowCode.toString(16)}`);
      expect(host.ask({ kind: 'stack2' })).toBe('ack');
      const stackAt = host.now;
      expect(host.poll()).toBe('stacking');
      expect(host.ledger()).toEqual([]);
      const seen = host.pollUntil((s) => s === 'vendValid', 1000, 1);
      expect(seen.slice(0, -1).every((s) => s === 'stacking')).toBe(true);
      const [entry] = host.ledger();
      expect(entry).toMatchObject({ seq: 1, noteId, escrowCode, denomination: fen, via: 'vendValid' });
      expect(entry!.at).toBe(stackAt - 1 + FAST_TIMING.stackingMs);
      expect(host.ask({ kind: 'ack' })).toBe('ack');
      expect(host.pollUntil((s) => s === 'idling')).toContain('stacked');
      expect(host.snapshot().cashbox.counts).toEqual({ [String(fen)]: 1 });
    });

    it(`STACK-1 of ${fen} fen: VEND VALID at the point of no return, the note drops in at the end of stacking`, () => {
      const host = fastHost();
      host.startUp();
      const noteId = host.escrow({ escrowCode });
      host.ask({ kind: 'stack1' });
      const stackAt = host.now - 1;
      host.pollUntil((s) => s === 'vendValid', 1000, 1);
      expect(host.now - stackAt).toBeLessThan(FAST_TIMING.stackingMs);
      // VEND VALID is showing but the note is still moving: nothing in the box yet.
      expect(host.ledger()).toEqual([]);
      expect(host.snapshot().note).toMatchObject({ noteId, where: 'stacker' });
      host.run(FAST_TIMING.stackingMs);
      expect(host.ledger()).toEqual([
        {
          seq: 1,
          noteId,
          escrowCode,
          denomination: fen,
          at: stackAt + FAST_TIMING.stackingMs,
          via: 'vendValid',
        },
      ]);
      host.ask({ kind: 'ack' });
      host.pollUntil((s) => s === 'idling');
    });
  }

  it('STACK-1 acknowledged quickly: STACKED lasts until the note is in the box, recorded via "stacked"', () => {
    const host = fastHost();
    host.startUp();
    host.escrow({ denomination: 5000 });
    host.ask({ kind: 'stack1' });
    const stackAt = host.now - 1;
    host.pollUntil((s) => s === 'vendValid', 1000, 1);
    host.ask({ kind: 'ack' });
    expect(host.poll()).toBe('stacked');
    expect(host.ledger()).toEqual([]);
    host.pollUntil((s) => s === 'idling', 1000, 1);
    const [entry] = host.ledger();
    expect(entry).toMatchObject({ via: 'stacked', at: stackAt + FAST_TIMING.stackingMs });
    expect(host.now).toBeGreaterThanOrEqual(entry!.at);
  });

  it('repeats VEND VALID to every poll until ACK, and records the note once however many repeats', () => {
    const host = fastHost();
    host.startUp();
    host.escrow({ denomination: 10000 });
    host.ask({ kind: 'stack2' });
    host.pollUntil((s) => s === 'vendValid');
    for (let i = 0; i < 25; i++) {
      expect(host.poll()).toBe('vendValid');
      host.run(50);
    }
    expect(host.ledger()).toHaveLength(1);
    host.ask({ kind: 'ack' });
    expect(host.pollUntil((s) => s === 'idling')).not.toContain('vendValid');
    expect(host.ledger()).toHaveLength(1);
    expect(host.snapshot().cashbox.total).toBe(10000);
  });

  it('returns the note on its own when the host stays silent in escrow, even while polled', () => {
    const host = fastHost();
    host.startUp();
    const noteId = host.escrow({ denomination: 2000 });
    const escrowAt = host.now - 1;
    const seen = host.pollUntil((s) => s === 'idling', FAST_TIMING.escrowTimeoutMs * 3, 10);
    expect(seen).toContain('returning');
    const returningFrom = host.received.find(
      (r) => r.reply.kind === 'status' && r.reply.status === 'returning',
    );
    expect(returningFrom!.at).toBeGreaterThanOrEqual(escrowAt + FAST_TIMING.escrowTimeoutMs);
    expect(host.ledger()).toEqual([]);
    expect(host.snapshot().notes).toEqual([expect.objectContaining({ noteId, outcome: 'returned' })]);
  });

  it('HOLD restarts the escrow timer each time; STACK from holding still stacks', () => {
    const host = fastHost();
    host.startUp();
    host.escrow({ denomination: 1000 });
    for (let i = 0; i < 4; i++) {
      host.run(FAST_TIMING.escrowTimeoutMs - 50);
      expect(host.ask({ kind: 'hold' })).toBe('ack');
      expect(host.poll()).toBe('holding');
    }
    // Far past one escrow timeout since the note arrived, and still held.
    host.run(FAST_TIMING.escrowTimeoutMs - 50);
    expect(host.poll()).toBe('holding');
    host.ask({ kind: 'stack2' });
    host.pollUntil((s) => s === 'vendValid');
    expect(host.ledger()).toHaveLength(1);
  });

  it('times out of holding too when HOLD is not repeated', () => {
    const host = fastHost();
    host.startUp();
    host.escrow();
    host.ask({ kind: 'hold' });
    host.run(FAST_TIMING.escrowTimeoutMs + 1);
    expect(host.poll()).toBe('returning');
  });

  it('RETURN hands the note back through RETURNING without touching the cashbox', () => {
    const host = fastHost();
    host.startUp();
    const noteId = host.escrow({ denomination: 500 });
    expect(host.ask({ kind: 'return' })).toBe('ack');
    expect(host.poll()).toBe('returning');
    host.pollUntil((s) => s === 'idling');
    expect(host.ledger()).toEqual([]);
    expect(host.snapshot().notes).toEqual([expect.objectContaining({ noteId, outcome: 'returned' })]);
  });

  it('rejects counterfeit (0x77 by default) and damaged notes with the reason given', () => {
    const host = fastHost();
    host.startUp();
    expect(host.control({ action: 'note.insert', kind: 'counterfeit', denomination: 10000 })).toMatchObject({
      willBe: 'rejected',
      rejectReason: 0x77,
    });
    expect(host.pollUntil((s) => s.startsWith('rejecting'))).not.toContain('escrow:0x66');
    expect(host.poll()).toBe('rejecting:0x77');
    host.pollUntil((s) => s === 'idling');
    host.control({ action: 'note.insert', kind: 'damaged', rejectReason: 0x7d });
    host.pollUntil((s) => s.startsWith('rejecting'));
    expect(host.send({ kind: 'statusRequest' })).toEqual([
      { kind: 'rejecting', reasonCode: 0x7d, reason: 'length' },
    ]);
    host.pollUntil((s) => s === 'idling');
    expect(host.ledger()).toEqual([]);
    expect(host.snapshot().notes.map((n) => n.outcome)).toEqual(['rejected', 'rejected']);
  });

  it('rejects a denomination disabled by the C0 mask with 0x79 and a note the table does not know with 0x76', () => {
    const host = fastHost();
    host.startUp();
    host.ask({ kind: 'setEnable', disabledMask: 1 << 5 }); // 0x66, 100 yuan
    host.control({ action: 'note.insert', denomination: 10000 });
    host.pollUntil((s) => s.startsWith('rejecting'));
    expect(host.poll()).toBe('rejecting:0x79');
    host.pollUntil((s) => s === 'idling');
    host.escrow({ denomination: 5000 });
    expect(host.poll()).toBe('escrow:0x65');
    host.ask({ kind: 'return' });
    host.pollUntil((s) => s === 'idling');
    host.control({ action: 'note.insert', denomination: 7 });
    host.pollUntil((s) => s.startsWith('rejecting'));
    expect(host.poll()).toBe('rejecting:0x76');
  });

  it('does not draw a note in while disabled, and changes nothing', () => {
    const host = fastHost();
    host.startUp();
    host.ask({ kind: 'setInhibit', inhibit: true });
    const before = host.snapshot();
    expect(() => host.control({ action: 'note.insert', denomination: 100 })).toThrow(/not drawn in/);
    expect(host.snapshot()).toEqual(before);
    expect(host.poll()).toBe('disabled');
  });

  it('counts money in integer fen across many notes', () => {
    const host = fastHost();
    host.startUp();
    for (const { fen } of [...DENOMINATIONS, ...DENOMINATIONS]) {
      host.escrow({ denomination: fen });
      host.ask({ kind: 'stack2' });
      host.pollUntil((s) => s === 'vendValid');
      host.ask({ kind: 'ack' });
      host.pollUntil((s) => s === 'idling');
    }
    const { cashbox } = host.snapshot();
    expect(cashbox.total).toBe(2 * 18600);
    expect(Number.isInteger(cashbox.total)).toBe(true);
    expect(host.ledger().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe("id003 simulator: whether the host's ACK of VEND VALID is answered", () => {
  function inVendValid(options: Record<string, unknown>) {
    const host = fastHost(options);
    host.startUp();
    host.escrow({ denomination: 1000 });
    host.ask({ kind: 'stack2' });
    host.pollUntil((s) => s === 'vendValid');
    return host;
  }

  it('a unit that does not answer (the default) takes the ACK silently and goes on to STACKED', () => {
    const host = inVendValid({ answersHostAck: undefined });
    expect(host.send({ kind: 'ack' })).toEqual([]);
    expect(host.pollUntil((s) => s === 'idling')[0]).toBe('stacked');
    expect(host.ledger()).toHaveLength(1);
    expect(host.snapshot().counters).toMatchObject({ invalidCommands: 0 });
  });

  it('a unit that does not answer ignores an ACK outside VEND VALID, without INVALID COMMAND', () => {
    const host = fastHost({ answersHostAck: false });
    host.startUp();
    expect(host.send({ kind: 'ack' }, 50)).toEqual([]);
    expect(host.poll()).toBe('idling');
    expect(host.snapshot().counters).toMatchObject({ invalidCommands: 0 });
  });

  it('answers.hostAck switches the behaviour at run time and shows in the snapshot', () => {
    const host = inVendValid({ answersHostAck: false });
    expect(host.control({ action: 'answers.hostAck', answer: true })).toMatchObject({
      answersHostAck: true,
    });
    expect(host.snapshot().lineFaults).toMatchObject({ answersHostAck: true });
    expect(host.ask({ kind: 'ack' })).toBe('ack');
    host.pollUntil((s) => s === 'idling');
    host.control({ action: 'answers.hostAck', answer: false });
    host.escrow({ denomination: 500 });
    host.ask({ kind: 'stack2' });
    host.pollUntil((s) => s === 'vendValid');
    expect(host.send({ kind: 'ack' })).toEqual([]);
    expect(host.pollUntil((s) => s === 'idling')[0]).toBe('stacked');
    expect(host.ledger()).toHaveLength(2);
  });
});
