import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { CashAcceptor, EscrowedNote } from '../../devices/cash-acceptor/cash-acceptor.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { silentLogger } from '../../src/log.js';
import { JournalCashIn } from '../../src/money/journal-cash-in.js';
import { GOOD_PASSWORD, password, type ServiceFixture, serviceFixture } from './service-fixtures.js';

/**
 * A unit that misbehaves the way the test note must survive: after the host's escrow decision
 * it may still stack the note. The daemon's real cash-in hooks (JournalCashIn) decide and
 * commit; only the acceptor's mechanics are played here.
 */
class MisbehavingAcceptor extends EventEmitter {
  readonly name = 'cashAcceptor';
  status: DeviceStatus = { state: 'online' };
  enabled: readonly number[] = [];
  constructor(private readonly hooks: JournalCashIn) {
    super();
  }
  async enable(denominations: readonly number[]) {
    this.enabled = denominations;
  }
  async disable() {
    this.enabled = [];
  }
  async diagnostics() {
    return {
      status: this.status,
      identity: { model: 'test', firmware: '1' },
      transport: 'online',
      counters: {},
      currencyTable: [],
    };
  }
  /** A note goes in; the host decides; the unit then obeys or, when `stackAnyway`, stacks it. */
  async insert(note: EscrowedNote, stackAnyway: boolean): Promise<string> {
    this.emit('escrow', note);
    const decision = await this.hooks.decideEscrow(note);
    if (decision.action === 'return' && !stackAnyway) {
      this.emit('returned', {});
      return decision.reason;
    }
    const credit = {
      source: 'credit' as const,
      deviceCode: note.deviceCode,
      denomination: note.denomination,
    };
    await this.hooks.commitCredit(credit);
    this.emit('credited', credit);
    return 'stacked';
  }
}

const fixtures: ServiceFixture[] = [];
afterEach(() => {
  for (const fixture of fixtures.splice(0)) fixture.close();
});

async function rig() {
  const fixture = await serviceFixture();
  fixtures.push(fixture);
  const cashIn = new JournalCashIn(fixture.journal, 'cashAcceptor', silentLogger());
  const acceptor = new MisbehavingAcceptor(cashIn);
  fixture.devices.add('cashAcceptor', {
    device: acceptor as unknown as CashAcceptor,
    diagnostics: () => acceptor.diagnostics(),
    stop: async () => {},
  });
  const console = Symbol('console');
  await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
  return { fixture, acceptor, console };
}

const note: EscrowedNote = { escrowId: 'e1', deviceCode: 0x65, denomination: 5000 };

describe('the acceptor test note', () => {
  it('is refused by the cash-in hooks and returned: no note, credit or payment in the journal', async () => {
    const { fixture, acceptor, console } = await rig();
    const running = fixture.service.run(console, 'test-acceptor', ['5']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acceptor.enabled).toEqual([100, 500, 1000, 2000, 5000, 10000]);
    expect(await acceptor.insert(note, false)).toBe('noTransaction');
    expect(await running).toEqual({ outcome: 'returned', denomination: 5000 });
    expect(acceptor.enabled).toEqual([]);
    expect(fixture.journal.summary()).toMatchObject({
      creditedNotes: 0,
      payments: 0,
      pendingIntents: 0,
      unpaidOrphans: 0,
    });
  });

  it('stacked anyway by the unit, becomes an orphan credit (never a payment) and the test fails', async () => {
    const { fixture, acceptor, console } = await rig();
    const running = fixture.service.run(console, 'test-acceptor', ['5']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await acceptor.insert(note, true);
    await expect(running).rejects.toMatchObject({ code: 'testNoteStacked' });
    expect(acceptor.enabled).toEqual([]);
    const summary = fixture.journal.summary();
    expect(summary).toMatchObject({ payments: 0, unpaidOrphans: 1, openTransactions: 0 });
    expect(fixture.journal.cashbox.counters('cashAcceptor')).toMatchObject({
      totalCount: 1,
      totalValue: 5000,
    });
    // The money is accounted for: one note in the cashbox, one orphan record, nothing counted twice.
    expect(fixture.journal.checkConservation()).toEqual([]);
    const failed = fixture.journal.audit.tail(20).find((e) => e.action === 'service.test-acceptor');
    expect(failed).toMatchObject({ actor: 'technician:t-001', details: { outcome: 'failed' } });
  });
});
