import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (error) {
    if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
    return error.details?.['problems'] as string[];
  }
  throw new Error('expected the config to be rejected');
}

const ok = { kioskId: 'k-1' };
const service = { url: 'https://billing.example/api', token: 'secret-token' };

describe('config balanceQuery', () => {
  it('is off by default, with 6-digit service passwords and format 0', () => {
    expect(parseConfig(ok, 'test').balanceQuery).toEqual({
      enabled: false,
      accountService: { timeoutMs: 5000 },
      pinBlockFormat: 'iso0',
      pinEntry: { minLength: 6, maxLength: 6, timeoutMs: 30_000, autoEnd: false },
      showBalanceMs: 15_000,
    });
  });

  it('refuses enabled without a PIN pad, naming both fields', () => {
    expect(problemsOf({ ...ok, balanceQuery: { enabled: true, accountService: service } })).toEqual([
      'balanceQuery.enabled: expected false while devices.pinPad.enabled is false (the balance query needs the PIN pad), got true',
    ]);
  });

  it('with the PIN pad enabled raises no balanceQuery problem (the pad itself may still be unbuilt)', () => {
    let problems: string[] = [];
    try {
      parseConfig(
        {
          ...ok,
          devices: { pinPad: { enabled: true } },
          balanceQuery: { enabled: true, accountService: service },
        },
        'test',
      );
    } catch (error) {
      problems = (error as { details: { problems: string[] } }).details.problems;
    }
    expect(problems.filter((p) => p.startsWith('balanceQuery'))).toEqual([]);
  });

  it('requires the account service url and token when enabled', () => {
    expect(problemsOf({ ...ok, balanceQuery: { enabled: true } })).toEqual(
      expect.arrayContaining([
        'balanceQuery.accountService.url: required when balanceQuery.enabled is true, got nothing',
        'balanceQuery.accountService.token: required when balanceQuery.enabled is true, got nothing',
      ]),
    );
  });

  it('names each bad field by its path', () => {
    expect(
      problemsOf({
        ...ok,
        balanceQuery: {
          accountService: { url: 'ftp://x', timeoutMs: 5 },
          pinBlockFormat: 'iso1',
          pinEntry: { minLength: 3, autoEnd: 'yes' },
          showBalanceMs: 1.5,
          colour: 1,
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^balanceQuery\.accountService\.url: expected an http:\/\/ or https:\/\/ URL/),
        expect.stringMatching(
          /^balanceQuery\.accountService\.timeoutMs: expected an integer from 100 to 30000/,
        ),
        expect.stringMatching(/^balanceQuery\.pinBlockFormat: expected "iso0" or "iso4"/),
        expect.stringMatching(/^balanceQuery\.pinEntry\.minLength: expected an integer from 4 to 12/),
        expect.stringMatching(/^balanceQuery\.pinEntry\.autoEnd: expected true or false/),
        expect.stringMatching(/^balanceQuery\.showBalanceMs: expected an integer from 2000 to 120000/),
        expect.stringMatching(/^balanceQuery\.colour: unknown key/),
      ]),
    );
    expect(problemsOf({ ...ok, balanceQuery: { pinEntry: { minLength: 8, maxLength: 6 } } })).toEqual([
      'balanceQuery.pinEntry.maxLength: expected at least minLength (8), got 6',
    ]);
  });
});
