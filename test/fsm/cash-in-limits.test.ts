import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { isCnMobileNumber } from '../../fsm/top-up/account-number.js';
import { acceptableDenominations, decideEscrow, remainingLimit } from '../../fsm/top-up/cash-in-limits.js';
import {
  initialTopUpContext,
  type TopUpContext,
  topUpInputFromConfig,
} from '../../fsm/top-up/top-up-context.js';
import { topUpInput } from './top-up-fixture.js';

function cashIn(overrides: Partial<TopUpContext> = {}): TopUpContext {
  return {
    ...initialTopUpContext(
      topUpInput({
        limits: { maxPerTransaction: 6000, maxPerAccountPerDay: 10_000, maxNotesPerTransaction: 3 },
      }),
    ),
    cashInOpen: true,
    txId: 'tx',
    ...overrides,
  };
}

const notes = (...values: number[]) => values.map((denomination, i) => ({ noteId: `n${i}`, denomination }));

describe('remainingLimit', () => {
  it('is the per-transaction room when the day has more', () => {
    expect(remainingLimit(cashIn({ total: 1000, notes: notes(1000) }))).toBe(5000);
  });
  it('is the daily room when that is tighter', () => {
    expect(remainingLimit(cashIn({ dailyTotalSoFar: 7000, total: 1000 }))).toBe(2000);
  });
  it('never goes below zero', () => {
    expect(remainingLimit(cashIn({ dailyTotalSoFar: 12_000 }))).toBe(0);
  });
});

describe('acceptableDenominations', () => {
  it('lists the notes that fit the remaining limit', () => {
    expect(acceptableDenominations(cashIn({ total: 4000, notes: notes(2000, 2000) }))).toEqual([
      100, 500, 1000, 2000,
    ]);
  });
  it('is empty at maxNotes', () => {
    expect(acceptableDenominations(cashIn({ total: 300, notes: notes(100, 100, 100) }))).toEqual([]);
  });
  it('is empty when the remainder is below the smallest note', () => {
    expect(acceptableDenominations(cashIn({ total: 5950, notes: notes(5000, 950) }))).toEqual([]);
  });
});

describe('decideEscrow', () => {
  it('accepts a note that fits', () => {
    expect(decideEscrow(cashIn(), { denomination: 5000 })).toEqual({ accept: true });
  });
  it('accepts a note that exactly fills the limit', () => {
    expect(decideEscrow(cashIn({ total: 1000, notes: notes(1000) }), { denomination: 5000 })).toEqual({
      accept: true,
    });
  });
  it('refuses over the per-transaction limit', () => {
    expect(decideEscrow(cashIn({ total: 2000, notes: notes(2000) }), { denomination: 5000 })).toEqual({
      accept: false,
      reason: 'overLimit',
    });
  });
  it('refuses over the daily limit', () => {
    expect(decideEscrow(cashIn({ dailyTotalSoFar: 9500 }), { denomination: 1000 })).toEqual({
      accept: false,
      reason: 'overLimit',
    });
  });
  it('refuses past maxNotes even when the amount fits', () => {
    expect(decideEscrow(cashIn({ total: 300, notes: notes(100, 100, 100) }), { denomination: 100 })).toEqual({
      accept: false,
      reason: 'tooManyNotes',
    });
  });
  it.each([200, 10_000.5, -100, Number.NaN])(
    'refuses a denomination not in the table: %d',
    (denomination) => {
      expect(decideEscrow(cashIn(), { denomination })).toEqual({ accept: false, reason: 'notAccepted' });
    },
  );
  it('refuses outside cash-in', () => {
    expect(decideEscrow(cashIn({ cashInOpen: false }), { denomination: 100 })).toEqual({
      accept: false,
      reason: 'notInsertingCash',
    });
  });
  it('refuses a second note before the first settled', () => {
    expect(decideEscrow(cashIn({ noteInProgress: true }), { denomination: 100 })).toEqual({
      accept: false,
      reason: 'noteInProgress',
    });
  });
  it('agrees with acceptableDenominations for every state of a small grid', () => {
    for (let daily = 0; daily <= 10_000; daily += 1300)
      for (let total = 0; total <= 6000; total += 300) {
        const context = cashIn({ dailyTotalSoFar: daily, total, notes: notes(total) });
        const fits = acceptableDenominations(context);
        for (const d of context.denominations)
          expect(
            decideEscrow(context, { denomination: d }).accept,
            `daily ${daily} total ${total} note ${d}`,
          ).toBe(fits.includes(d));
      }
  });
});

describe('CN mobile numbers', () => {
  it.each(['13000000000', '19999999999', '15912345678'])('accepts %s', (n) =>
    expect(isCnMobileNumber(n)).toBe(true),
  );
  it.each([
    '12000000000',
    '1300000000',
    '130000000000',
    '2300000000a',
    '+8613800138000',
    13_800_138_000,
    null,
  ])('refuses %j', (n) => expect(isCnMobileNumber(n)).toBe(false));
});

describe('top-up input', () => {
  it.each([
    ['denominations', { denominations: [] }],
    ['denominations[1]', { denominations: [500, 500] }],
    ['denominations[0]', { denominations: [0.5] }],
    [
      'limits.maxPerTransaction',
      { limits: { maxPerTransaction: 1.5, maxPerAccountPerDay: 1, maxNotesPerTransaction: 1 } },
    ],
    [
      'limits.maxNotesPerTransaction',
      { limits: { maxPerTransaction: 1, maxPerAccountPerDay: 1, maxNotesPerTransaction: 0 } },
    ],
    ['accountCheck.offlinePolicy', { accountCheck: { enabled: true, offlinePolicy: 'maybe' } }],
    [
      'timeouts.idleCompleteMs',
      {
        timeouts: { accountEntryMs: 1, accountCheckMs: 1, idleCompleteMs: -1, noCashMs: 1, commitRetryMs: 1 },
      },
    ],
  ])('names %s when it is wrong', (field, overrides) => {
    let caught: unknown;
    try {
      initialTopUpContext({ ...topUpInput(), ...(overrides as object) });
    } catch (error) {
      caught = error;
    }
    expect(isKioskError(caught, ErrorCode.ConfigInvalid)).toBe(true);
    expect((caught as { details: { field: string } }).details.field).toBe(field);
  });

  it('maps the kiosk config onto the machine input', () => {
    const input = topUpInputFromConfig({
      currency: { denominations: [100, 500] },
      limits: { maxPerTransaction: 1000, maxPerAccountPerDay: 2000, maxNotesPerTransaction: 4 },
      transaction: {
        accountEntryTimeoutMs: 120_000,
        idleCompleteAfterMs: 60_000,
        accountCheck: { enabled: true, timeoutMs: 3000, offlinePolicy: 'refuse' },
      },
    });
    expect(input).toEqual({
      denominations: [100, 500],
      limits: { maxPerTransaction: 1000, maxPerAccountPerDay: 2000, maxNotesPerTransaction: 4 },
      accountCheck: { enabled: true, offlinePolicy: 'refuse' },
      timeouts: {
        accountEntryMs: 120_000,
        accountCheckMs: 3000,
        idleCompleteMs: 60_000,
        noCashMs: 120_000,
        commitRetryMs: 5000,
      },
    });
    expect(() => initialTopUpContext(input)).not.toThrow();
  });
});
