import { describe, expect, it } from 'vitest';
import { FAST_TIMING } from '../../../simulators/id003/timing.js';
import { fastHost, type VirtualHost } from './virtual-host.js';

type Drive = (host: VirtualHost) => void;

const toEscrow: Drive = (host) => {
  host.escrow({ denomination: 5000 });
};
const toHolding: Drive = (host) => {
  toEscrow(host);
  host.ask({ kind: 'hold' });
};
const toVendValid: Drive = (host) => {
  toEscrow(host);
  host.ask({ kind: 'stack2' });
  host.pollUntil((s) => s === 'vendValid');
};

/** Each phase a cut can hit, how to get there, what power-up reports, and how many ledger entries RESET leaves. */
const CASES: Array<{ phase: string; afterMs: number; drive: Drive; powerUp: string; stacked: number }> = [
  {
    phase: 'accepting',
    afterMs: 5,
    drive: (h) => void h.control({ action: 'note.insert', denomination: 5000 }),
    powerUp: 'powerUpBillInAcceptor',
    stacked: 0,
  },
  { phase: 'escrow', afterMs: 30, drive: toEscrow, powerUp: 'powerUpBillInAcceptor', stacked: 0 },
  { phase: 'holding', afterMs: 5, drive: toHolding, powerUp: 'powerUpBillInAcceptor', stacked: 0 },
  {
    phase: 'returning',
    afterMs: 5,
    drive: (h) => {
      toEscrow(h);
      h.ask({ kind: 'return' });
    },
    powerUp: 'powerUpBillInAcceptor',
    stacked: 0,
  },
  {
    phase: 'stacking',
    afterMs: 5,
    drive: (h) => {
      toEscrow(h);
      h.ask({ kind: 'stack2' });
    },
    powerUp: 'powerUpBillInStacker',
    stacked: 1,
  },
  { phase: 'vendValid', afterMs: 5, drive: toVendValid, powerUp: 'powerUpBillInStacker', stacked: 1 },
  {
    phase: 'stacked',
    afterMs: 2,
    drive: (h) => {
      toVendValid(h);
      h.ask({ kind: 'ack' });
    },
    powerUp: 'powerUp',
    stacked: 1,
  },
];

function cutAndRecover(host: VirtualHost, expectedPowerUp: string): void {
  expect(host.snapshot().powered).toBe(false);
  // Dead: no answer to anything, and the bytes are lost.
  expect(host.send({ kind: 'statusRequest' }, 100)).toEqual([]);
  expect(host.snapshot().counters['bytesLostWhileOff']).toBe(5);
  host.control({ action: 'power.on' });
  expect(host.poll()).toBe(expectedPowerUp);
  host.run(1000);
  expect(host.poll()).toBe(expectedPowerUp);
  host.ask({ kind: 'reset' });
  host.pollUntil((s) => s === 'disabled');
}

describe('id003 simulator: power cuts', () => {
  for (const c of CASES) {
    it(`cut in ${c.phase}: powers up as ${c.powerUp}; after RESET the cashbox holds ${c.stacked} note(s)`, () => {
      const host = fastHost();
      host.startUp();
      host.control({ action: 'power.cutAt', phase: c.phase, afterMs: c.afterMs });
      c.drive(host);
      host.run(50);
      cutAndRecover(host, c.powerUp);
      expect(host.ledger()).toHaveLength(c.stacked);
      expect(host.snapshot().notes.map((n) => n.outcome)).toEqual([c.stacked ? 'stacked' : 'returned']);
      // The unit forgot its settings: inhibit is back on.
      expect(host.snapshot().settings['inhibit']).toBe(true);
    });
  }

  it('cut in stacking lands the note via powerUpStack during INITIALIZE, not before', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'power.cutAt', phase: 'stacking', afterMs: 5 });
    toEscrow(host);
    host.ask({ kind: 'stack2' });
    host.run(500);
    host.control({ action: 'power.on' });
    host.ask({ kind: 'reset' });
    const resetAt = host.now - 1;
    expect(host.ledger()).toEqual([]);
    host.pollUntil((s) => s === 'disabled');
    expect(host.ledger()).toEqual([
      expect.objectContaining({
        via: 'powerUpStack',
        at: resetAt + FAST_TIMING.initializeMs,
        denomination: 5000,
      }),
    ]);
  });

  it('STACK-1 note still moving after the ACK: powers up as plain power-up, and RESET stacks it once', () => {
    const host = fastHost();
    host.startUp();
    host.escrow({ denomination: 10000 });
    host.ask({ kind: 'stack1' });
    host.pollUntil((s) => s === 'vendValid', 1000, 1);
    host.ask({ kind: 'ack' });
    expect(host.snapshot().note).toMatchObject({ where: 'stacker' });
    host.control({ action: 'power.cut' });
    cutAndRecover(host, 'powerUp');
    expect(host.ledger()).toEqual([expect.objectContaining({ denomination: 10000, via: 'powerUpStack' })]);
  });

  it('a cut loses an answer not yet sent and any half-received frame', () => {
    const host = fastHost({ timing: { answerDelayMs: 20 } });
    host.send({ kind: 'statusRequest' }, 5);
    host.control({ action: 'power.cut' });
    expect(host.run(100)).toEqual([]);
    expect(host.model.nextDeadline()).toBeUndefined();
  });

  it('power-up with no note reports 0x40 and a RESET takes it straight to INITIALIZE', () => {
    const host = fastHost();
    host.control({ action: 'power.cut' });
    host.control({ action: 'power.on' });
    expect(host.poll()).toBe('powerUp');
    host.ask({ kind: 'reset' });
    expect(host.poll()).toBe('initialize');
  });

  it('a cutAt fires the next time the phase is entered, and only once', () => {
    const host = fastHost();
    host.startUp();
    host.control({ action: 'power.cutAt', phase: 'escrow', afterMs: 0 });
    host.control({ action: 'note.insert' });
    host.run(FAST_TIMING.acceptingMs - 1);
    expect(host.snapshot().powered).toBe(true);
    host.run(2);
    expect(host.snapshot().powered).toBe(false);
    host.control({ action: 'power.on' });
    host.ask({ kind: 'reset' });
    host.pollUntil((s) => s === 'disabled');
    host.ask({ kind: 'setInhibit', inhibit: false });
    host.escrow();
    host.run(10);
    expect(host.snapshot().powered).toBe(true);
  });
});
