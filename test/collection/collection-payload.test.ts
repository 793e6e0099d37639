import { describe, expect, it } from 'vitest';
import { FleetState } from '../../src/fleet/fleet-state.js';
import { collectionPayloadSchema } from '../../src/fleet-protocol/index.js';
import { creditNotes, tempJournal } from '../journal/temp-journal.js';

/** The journal's frozen collection payload against the fleet's schema, and the live view taking it. */
describe('collection payload', () => {
  function endedPayload(): Record<string, unknown> {
    const { journal } = tempJournal();
    journal.payments.commit({
      txId: creditNotes(journal, '13700000000', [10_000, 5_000, 5_000]),
      kind: 'complete',
      receipt: false,
    });
    journal.orphans.record({ device: 'acceptor', reason: 'power-up' }); // credited, value unknown
    const c = journal.collections.start({
      device: 'acceptor',
      technician: 'T-01',
      denominations: [1_000, 5_000, 10_000],
    });
    journal.collections.enterCounts({
      collectionId: c.collectionId,
      counts: [
        { denomination: 10_000, count: 1 },
        { denomination: 5_000, count: 2 },
        { denomination: 1_000, count: 1 },
      ],
      technician: 'T-01',
    });
    journal.collections.end({ collectionId: c.collectionId, technician: 'T-01' });
    const row = journal.outbox.pendingPayloads({ limit: 10 }).find((r) => r.kind === 'collection');
    return JSON.parse(row!.payload) as Record<string, unknown>;
  }

  it('what the journal freezes passes the schema both ends validate with', () => {
    const payload = endedPayload();
    const parsed = collectionPayloadSchema.parse(payload);
    expect(parsed.denominations).toEqual([
      { denomination: 10_000, expected: 1, counted: 1, difference: 0 },
      { denomination: 5_000, expected: 2, counted: 2, difference: 0 },
      { denomination: 1_000, expected: 0, counted: 1, difference: 1 },
      { denomination: 0, expected: 1, counted: 0, difference: -1 },
    ]);
    expect(parsed).toMatchObject({
      expectedValue: 20_000,
      countedValue: 21_000,
      difference: 1_000,
      discrepancy: true,
    });
  });

  it('the schema refuses figures that do not add up, naming the field', () => {
    const payload = endedPayload();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...payload, difference: 0 }, 'difference'],
      [{ ...payload, expectedValue: 1 }, 'expectedValue'],
      [{ ...payload, countedValue: 1 }, 'countedValue'],
      [{ ...payload, discrepancy: false }, 'discrepancy'],
      [{ ...payload, seq: 0 }, 'seq'],
      [{ ...payload, collectionId: 'x' }, 'collectionId'],
      [{ ...payload, extra: 1 }, ''],
      [
        {
          ...payload,
          denominations: [{ denomination: 100, expected: 1, counted: 2, difference: 0 }],
          expectedValue: 100,
          countedValue: 200,
          difference: 100,
        },
        'denominations.0.difference',
      ],
    ];
    for (const [bad, path] of cases) {
      const result = collectionPayloadSchema.safeParse(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      if (path !== '') expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
    }
  });

  it('the live fleet view keeps the newest collection of a kiosk and ignores an older resend', () => {
    const payload = endedPayload();
    const state = new FleetState();
    const topic = `kiosk/v1/${payload['kioskId']}/collection`;
    expect(state.apply(topic, JSON.stringify(payload))).toBe('applied');
    expect(state.apply(topic, JSON.stringify({ ...payload, seq: 1 }))).toBe('applied');
    expect(state.snapshot().kiosks[0]?.lastCollection).toMatchObject({
      collectionId: payload['collectionId'],
      seq: payload['seq'],
      difference: 1_000,
    });
    expect(state.apply(topic, JSON.stringify({ ...payload, difference: 5 }))).toBe('invalid');
    expect(state.apply('kiosk/v1/other/collection', JSON.stringify(payload))).toBe('invalid');
  });
});
