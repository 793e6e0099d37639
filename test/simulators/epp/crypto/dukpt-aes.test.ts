import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  AES_DUKPT_MAX_COUNTER,
  deriveAesInitialKey,
  deriveAesPinKey,
  deriveAesTransactionKey,
  nextAesCounter,
  parseAesKsn,
} from '../../../../simulators/epp/crypto/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

// PROTOCOLS.md, "Encrypting PIN pad" (ANSI X9.24-3:2017).
const BDK = hex('FEDCBA9876543210F1F1F1F1F1F1F1F1');
const INITIAL_KEY_ID = hex('1234567890123456');

function ksnAt(counter: number): Uint8Array {
  const ksn = new Uint8Array(12);
  ksn.set(INITIAL_KEY_ID);
  new DataView(ksn.buffer).setUint32(8, counter);
  return ksn;
}

function bitCount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v !== 0; v = (v & (v - 1)) >>> 0) c++;
  return c;
}

describe('DUKPT AES-128 (X9.24-3)', () => {
  it('derives the published initial key from BDK and initial key ID', () => {
    expect(toHex(deriveAesInitialKey(BDK, INITIAL_KEY_ID))).toBe('1273671EA26AC29AFA4D1084127652A1');
  });

  it('derives the published PIN encryption key at counter 1', () => {
    const ik = deriveAesInitialKey(BDK, INITIAL_KEY_ID);
    expect(toHex(deriveAesPinKey(ik, ksnAt(1)))).toBe('AF8CB133A78F8DC2D1359F18527593FB');
  });

  it('gives a different PIN key at every counter along a run', () => {
    const ik = deriveAesInitialKey(BDK, INITIAL_KEY_ID);
    const seen = new Set<string>();
    for (let counter = 1; counter <= 200; counter++) seen.add(toHex(deriveAesPinKey(ik, ksnAt(counter))));
    expect(seen.size).toBe(200);
  });

  it('refuses counter 0 and counters with more than 16 one-bits', () => {
    const ik = deriveAesInitialKey(BDK, INITIAL_KEY_ID);
    for (const counter of [0, 0x1ffff, AES_DUKPT_MAX_COUNTER]) {
      expect(() => deriveAesPinKey(ik, ksnAt(counter)), counter.toString(16)).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
  });

  it('steps the counter over values with more than 16 one-bits', () => {
    expect(nextAesCounter(0)).toEqual({ ok: true, counter: 1 });
    // 0xFFFF has 16 bits, 0x10000 has one; 0x1FFFE has 16, 0x1FFFF has 17 and is skipped.
    expect(nextAesCounter(0xffff)).toEqual({ ok: true, counter: 0x10000 });
    expect(nextAesCounter(0x1fffe)).toEqual({ ok: true, counter: 0x20000 });
    for (let c = 0x1f000; c < 0x21000; c++) {
      const next = nextAesCounter(c);
      if (!next.ok) throw new Error('unexpected overflow');
      expect(bitCount(next.counter)).toBeLessThanOrEqual(16);
      for (let skipped = c + 1; skipped < next.counter; skipped++)
        expect(bitCount(skipped)).toBeGreaterThan(16);
    }
  });

  it('reports dukptOverflow after the last usable 32-bit counter', () => {
    expect(nextAesCounter(0xffff0000 - 1)).toEqual({ ok: true, counter: 0xffff0000 });
    expect(nextAesCounter(0xffff0000)).toEqual({ ok: false, reason: 'dukptOverflow' });
    expect(nextAesCounter(AES_DUKPT_MAX_COUNTER)).toEqual({ ok: false, reason: 'dukptOverflow' });
  });

  it('parses a 12-byte KSN and refuses other lengths', () => {
    expect(parseAesKsn(ksnAt(0xabcdef))).toEqual({
      initialKeyId: Uint8Array.from(INITIAL_KEY_ID),
      counter: 0xabcdef,
    });
    expect(() => parseAesKsn(new Uint8Array(10))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });

  it('refuses a BDK or initial key ID of the wrong length', () => {
    expect(() => deriveAesInitialKey(new Uint8Array(24), INITIAL_KEY_ID)).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
    expect(() => deriveAesInitialKey(BDK, new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});

// ANSI X9.24-3:2017 supplement test vectors, AES-128 BDK (transaction = intermediate
// derivation keys), as restated by the openemv/dukpt test suite.
describe('DUKPT AES-128 against the X9.24-3 supplement vectors', () => {
  const ik = deriveAesInitialKey(BDK, INITIAL_KEY_ID);
  const transactionKeys: [number, string][] = [
    [1, '4F21B565BAD9835E112B6465635EAE44'],
    [2, '2F34D68DE10F68D38091A73B9E7C437C'],
    [3, '031504E530365CF81264238540518318'],
    [4, '0EEFC7ADA628BA68878DA9165A8A1887'],
    [5, 'C2A7AC328A5DA2D6002D62465BFC028B'],
    [6, 'D30F7D9351DA58448A2F5E92B4EE3B7D'],
    [7, 'A8253CEED9AC042C54F75D35C8352278'],
    [8, '718EE6CF0B27E53D5F7AF99C4D8146A2'],
    [0x1fffe, 'E21E8C8D347F8561A2BE752DAA85A111'],
    [0x20000, 'F7AE9025468A25D37B7249CFFED224C8'],
    [0x20001, '692C8EA4013645135B36497131DF9D2C'],
    [0xfffe2000, '48E585B694EB0B18D5C35443E163C0BA'],
    [0xfffe4000, '396C2C7CA1EA701C03B86B7D41F0C562'],
    [0xfffe8000, '0387625F189B58AE03EF0E8CCA41105E'],
    [0xffff0000, 'F6BA59389BD14A9855BE9727E7C52E3C'],
  ];

  it('derives the supplement transaction keys, from the first counters to the last', () => {
    for (const [counter, key] of transactionKeys) {
      expect(toHex(deriveAesTransactionKey(ik, ksnAt(counter))), counter.toString(16)).toBe(key);
    }
  });

  it('steps the counter through the supplement sequences and ends after FFFF0000', () => {
    const sequences = [
      [1, 2, 3, 4, 5, 6, 7, 8],
      [0x1fffe, 0x20000, 0x20001],
      [0xfffe2000, 0xfffe4000, 0xfffe8000, 0xffff0000],
    ];
    for (const sequence of sequences) {
      for (let i = 1; i < sequence.length; i++) {
        expect(nextAesCounter(sequence[i - 1]!)).toEqual({ ok: true, counter: sequence[i] });
      }
    }
    expect(nextAesCounter(0xffff0000)).toEqual({ ok: false, reason: 'dukptOverflow' });
  });
});
