import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  FLEET_PAYLOAD_VERSION,
  type PaymentPayloadWire,
  paymentPayloadSchema,
  quickPaymentPayload,
} from '../../src/fleet-protocol/index.js';

const good: PaymentPayloadWire = {
  v: FLEET_PAYLOAD_VERSION,
  kioskId: 'K-0001',
  ts: '2026-12-03T15:00:00.123Z',
  paymentId: '01JDX3M5Q8R7T6V5W4X3Y2Z1A0',
  seq: 7,
  account: '13800138000',
  amount: 15000,
  currency: 'CNY',
  notes: [
    { denomination: 10000, count: 1 },
    { denomination: 5000, count: 1 },
  ],
  kind: 'complete',
  txId: '01JDX3M5Q8R7T6V5W4X3Y2Z1A1',
  receipt: true,
};

/** Values that sit on either side of some rule of the schema. */
const oddValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    0,
    -0,
    -1,
    1.5,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    '',
    'CNY',
    'cny',
    'K-0001',
    '-K',
    'x'.repeat(64),
    'x'.repeat(65),
    '2026-02-29T00:00:00.000Z',
    '2024-02-29T00:00:00.000Z',
    '2026-12-03T24:00:00.000Z',
    '2026-13-03T00:00:00.000Z',
    '2026-12-03T15:00:00Z',
    '2026-12-03T15:00:00.1234Z',
    '2026-12-03T15:00:00.123+00:00',
    '+002026-12-03T15:00:00.123Z',
    '01JDX3M5Q8R7T6V5W4X3Y2Z1AI',
    '01jdx3m5q8r7t6v5w4x3y2z1a0',
    'partial',
    'refund',
    [],
    [{ denomination: 1, count: 0 }],
    [{ denomination: 1, count: 1, extra: 1 }],
    [{ denomination: -1, count: 1 }],
    [null],
    {},
  ),
  fc.anything(),
);

const mutation = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    key: fc.constantFrom(...Object.keys(good), '__proto__', 'x'),
    value: oddValue,
  }),
  fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...Object.keys(good)) }),
);

function mutate(
  base: PaymentPayloadWire,
  changes: Array<{ op: 'set' | 'drop'; key: string; value?: unknown }>,
) {
  // Through JSON text, as the ledger receives it (JSON.parse makes "__proto__" an own key).
  const value = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const change of changes) {
    if (change.op === 'drop') delete value[change.key];
    else
      Object.defineProperty(value, change.key, {
        value: change.value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
  }
  return JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
}

describe('quickPaymentPayload', () => {
  it('takes the payment a kiosk writes, as the same object', () => {
    const parsed = JSON.parse(JSON.stringify(good)) as unknown;
    expect(quickPaymentPayload(parsed)).toBe(parsed);
    expect(
      quickPaymentPayload({ ...good, account: null, txId: null, notes: [], kind: 'orphan' }),
    ).toBeDefined();
  });

  it('leaves anything unusual to the schema', () => {
    for (const odd of [
      null,
      [],
      'x',
      { ...good, extra: 1 },
      { ...good, ts: '2026-12-03T15:00:00Z' },
      { ...good, ts: '2026-02-30T00:00:00.000Z' },
      { ...good, seq: 0 },
      { ...good, amount: 12.5 },
      { ...good, notes: [{ denomination: 5000 }] },
    ]) {
      expect(quickPaymentPayload(odd)).toBeUndefined();
    }
  });

  test.prop([fc.array(mutation, { maxLength: 3 })], { numRuns: 3000 })(
    'never takes what the schema refuses',
    (changes) => {
      const candidate = mutate(good, changes);
      if (quickPaymentPayload(candidate) !== undefined) {
        expect(paymentPayloadSchema.safeParse(candidate).success).toBe(true);
      }
    },
  );

  test.prop([
    fc.date({
      min: new Date('0000-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    }),
  ])('takes every instant toISOString writes, as the schema does', (date) => {
    const payment = { ...good, ts: date.toISOString() };
    expect(quickPaymentPayload(payment)).toBe(payment);
    expect(paymentPayloadSchema.safeParse(payment).success).toBe(true);
  });
});
