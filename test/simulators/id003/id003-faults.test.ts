import { describe, expect, it } from 'vitest';
import { FAST_TIMING } from '../../../simulators/id003/timing.js';
import { fastHost, type VirtualHost } from './virtual-host.js';

function stackOne(host: VirtualHost, fen = 100): void {
  host.escrow({ denomination: fen });
  host.ask({ kind: 'stack2' });
  host.pollUntil((s) => s === 'vendValid');
  host.ask({ kind: 'ack' });
  host.pollUntil((s) => s !== 'stacked' && s !== 'vendValid');
}

describe('id003 simulator: faults', () => {
  it('jam in the acceptor holds 0x45 until cleared, then power-up with the bill in the acceptor; RESET returns it', () => {
    const host = fastHost();
    host.startUp();
    const noteId = host.escrow({ denomination: 5000 });
    host.control({ action: 'jam', where: 'acceptor' });
    host.run(1000);
    expect(host.poll()).toBe('jamInAcceptor');
    expect(host.ask({ kind: 'reset' })).toBe('ack');
    expect(host.poll()).toBe('jamInAcceptor');
    host.control({ action: 'jam.clear' });
    expect(host.poll()).toBe('powerUpBillInAcceptor');
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    expect(host.ledger()).toEqual([]);
    expect(host.snapshot().notes).toEqual([expect.objectContaining({ noteId, outcome: 'returned' })]);
  });

  it('jam in the stacker mid-stack: 0x46, then 0x42 after clearing, RESET finishes the stack exactly once', () => {
    const host = fastHost();
    host.startUp();
    const noteId = host.escrow({ denomination: 2000 });
    host.ask({ kind: 'stack2' });
    host.run(5);
    host.control({ action: 'jam', where: 'stacker' });
    host.run(FAST_TIMING.stackingMs * 3);
    expect(host.poll()).toBe('jamInStacker');
    expect(host.ledger()).toEqual([]);
    host.control({ action: 'jam.clear' });
    expect(host.poll()).toBe('powerUpBillInStacker');
    host.run(500);
    expect(host.poll()).toBe('powerUpBillInStacker');
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    expect(host.ledger()).toEqual([
      expect.objectContaining({ noteId, denomination: 2000, via: 'jamClearStack' }),
    ]);
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    expect(host.ledger()).toHaveLength(1);
  });

  it('reports stacker full once the cashbox reaches capacity, refuses notes, and recovers when emptied', () => {
    const host = fastHost({ capacity: 2 });
    host.startUp();
    stackOne(host, 100);
    expect(host.poll()).toBe('idling');
    stackOne(host, 500);
    expect(host.poll()).toBe('stackerFull');
    expect(() => host.control({ action: 'note.insert' })).toThrow(/stackerFull/);
    host.control({ action: 'cashbox.remove' });
    expect(host.poll()).toBe('stackerOpen');
    const { collection } = host.control({ action: 'cashbox.replace', emptied: true }) as {
      collection: Record<string, unknown>;
    };
    expect(collection).toEqual({
      seq: 1,
      at: host.now,
      counts: { '100': 1, '500': 1 },
      notes: 2,
      total: 600,
    });
    expect(host.poll()).toBe('idling');
    expect(host.snapshot().cashbox).toMatchObject({ notes: 0, total: 0 });
    expect(host.ledger()).toHaveLength(2);
  });

  it('a forced stacker full lasts until the box is emptied, not just put back', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'stacker.full' });
    expect(host.poll()).toBe('stackerFull');
    host.control({ action: 'cashbox.remove' });
    host.control({ action: 'cashbox.replace' });
    expect(host.poll()).toBe('stackerFull');
    host.control({ action: 'cashbox.remove' });
    host.control({ action: 'cashbox.replace', emptied: true });
    expect(host.poll()).toBe('idling');
  });

  it('cashbox removed mid-stack: the note waits in the stacker for the new box, then RESET stacks it', () => {
    const host = fastHost();
    host.startUp();
    stackOne(host, 100);
    const noteId = host.escrow({ denomination: 10000 });
    host.ask({ kind: 'stack2' });
    host.control({ action: 'cashbox.remove' });
    host.run(200);
    expect(host.poll()).toBe('stackerOpen');
    expect(host.ask({ kind: 'reset' })).toBe('ack');
    expect(host.poll()).toBe('stackerOpen');
    host.control({ action: 'cashbox.replace', emptied: true });
    expect(host.poll()).toBe('powerUpBillInStacker');
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    expect(host.ledger().map((e) => [e.noteId, e.via])).toEqual([
      ['note-1', 'vendValid'],
      [noteId, 'powerUpStack'],
    ]);
    expect(host.snapshot().cashbox).toMatchObject({ notes: 1, total: 10000 });
  });

  it('cheated holds 0x48 until RESET', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'cheat' });
    host.run(300);
    expect(host.poll()).toBe('cheated');
    host.ask({ kind: 'reset' });
    expect(host.pollUntil((s) => s === 'disabled')).toEqual(
      expect.arrayContaining(['initialize', 'disabled']),
    );
  });

  it('failure holds 0x49 with its code until cleared and RESET', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'failure', code: 0xa2 });
    expect(host.send({ kind: 'statusRequest' })).toEqual([
      { kind: 'failure', failureCode: 0xa2, failure: 'stackMotor' },
    ]);
    host.ask({ kind: 'reset' });
    host.run(200);
    expect(host.poll()).toBe('failure:0xa2');
    host.control({ action: 'failure.clear' });
    expect(host.poll()).toBe('failure:0xa2');
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
  });

  it('drops the next N answers, while the commands still take effect', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'answers.drop', count: 2 });
    expect(host.send({ kind: 'setInhibit', inhibit: true }, 50)).toEqual([]);
    expect(host.send({ kind: 'statusRequest' }, 50)).toEqual([]);
    expect(host.poll()).toBe('disabled');
    expect(host.snapshot().counters['answersDropped']).toBe(2);
  });

  it('drops answers at a seeded rate, the same ones for the same seed', () => {
    const pattern = (seed: number) => {
      const host = fastHost({ seed });
      host.control({ action: 'answers.drop', rate: 0.5 });
      return Array.from({ length: 64 }, () => host.send({ kind: 'statusRequest' }, 5).length);
    };
    const a = pattern(7);
    expect(pattern(7)).toEqual(a);
    const dropped = a.filter((n) => n === 0).length;
    expect(dropped).toBeGreaterThan(16);
    expect(dropped).toBeLessThan(48);
    expect(pattern(8)).not.toEqual(a);
  });

  it('delays answers by the configured time, in order', () => {
    const host = fastHost();
    host.control({ action: 'answers.delay', ms: 250 });
    expect(host.send({ kind: 'statusRequest' }, 250)).toEqual([]);
    expect(host.send({ kind: 'get', what: 'version' }, 1)).toEqual([{ kind: 'status', status: 'powerUp' }]);
    expect(host.run(250)).toEqual([{ kind: 'version', text: 'JCM ID-003 SIM V1.00 CNY' }]);
    host.control({ action: 'answers.delay', ms: 0 });
    expect(host.poll()).toBe('powerUp');
  });
});
