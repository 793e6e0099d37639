import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';
import { TEST_LEDGER_KEY } from './ledger-test-keys.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (error) {
    if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
    return error.details?.['problems'] as string[];
  }
  return [];
}

const broker = { url: 'mqtt://fleet.example.net:1883' };

describe('fleet.ledger.publicKeys in the kiosk config', () => {
  it('is required with a real broker: without it no ack could ever mark a payment delivered', () => {
    expect(problemsOf({ kioskId: 'k-1', fleet: { broker } })).toEqual([
      'fleet.ledger.publicKeys: required when the fleet link uses a broker (the ledger signs payment acks; without its public key no payment is ever marked delivered; make one with kioskd fleet keygen --for ledger), got []',
    ]);
  });

  it('is not needed for the embedded demo fleet (its ledger hands its key over) or with the link off', () => {
    expect(problemsOf({ kioskId: 'k-1' })).toEqual([]);
    expect(problemsOf({ kioskId: 'k-1', fleet: { enabled: false, broker } })).toEqual([]);
  });

  it('takes keys like fleet.commands.publicKeys: valid Ed25519 public keys under distinct ids', () => {
    const entry = TEST_LEDGER_KEY.configEntry;
    expect(problemsOf({ kioskId: 'k-1', fleet: { broker, ledger: { publicKeys: [entry] } } })).toEqual([]);
    const problems = problemsOf({
      kioskId: 'k-1',
      fleet: { broker, ledger: { publicKeys: [entry, { ...entry }, { id: 'x', key: 'not a key' }] } },
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^fleet\.ledger\.publicKeys\[1\]\.id: expected an id not already used by publicKeys\[0\]/,
    );
    expect(problems[1]).toMatch(/^fleet\.ledger\.publicKeys\[2\]\.key: expected an Ed25519 public key/);
  });
});
