import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  DUKPT_TDES_MAX_COUNTER,
  deriveTdesIpek,
  deriveTdesPinKey,
  deriveTdesTransactionKey,
  encryptTdesBlock,
  nextTdesCounter,
  parseTdesKsn,
} from '../../../../simulators/epp/crypto/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

// PROTOCOLS.md, "Encrypting PIN pad" (ANSI X9.24-1:2009 A.4).
const BDK = hex('0123456789ABCDEFFEDCBA9876543210');
const KSN0 = hex('FFFF9876543210E00000');
const CLEAR_FORMAT_0 = hex('041274EDCBA9876F');

function ksnAt(counter: number): Uint8Array {
  const ksn = Uint8Array.from(KSN0);
  ksn[7] = (ksn[7]! & 0xe0) | ((counter >>> 16) & 0x1f);
  ksn[8] = (counter >>> 8) & 0xff;
  ksn[9] = counter & 0xff;
  return ksn;
}

function bitCount(n: number): number {
  let c = 0;
  for (let v = n; v !== 0; v &= v - 1) c++;
  return c;
}

describe('DUKPT TDES (X9.24-1)', () => {
  it('derives the published IPEK from BDK and KSN', () => {
    expect(toHex(deriveTdesIpek(BDK, KSN0))).toBe('6AC292FAA1315B4D858AB3A3D7D5933A');
  });

  it('ignores the counter bits of the KSN when deriving the IPEK', () => {
    expect(deriveTdesIpek(BDK, ksnAt(0x1f))).toEqual(deriveTdesIpek(BDK, KSN0));
  });

  it('derives the published transaction keys at counters 1 and 2', () => {
    const ipek = deriveTdesIpek(BDK, KSN0);
    expect(toHex(deriveTdesTransactionKey(ipek, ksnAt(1)))).toBe('042666B49184CFA368DE9628D0397BC9');
    expect(toHex(deriveTdesTransactionKey(ipek, ksnAt(2)))).toBe('C46551CEF9FD24B0AA9AD834130D3BC7');
  });

  it('makes the PIN key by XOR with the PIN variant and encrypts the published blocks', () => {
    const ipek = deriveTdesIpek(BDK, KSN0);
    const key1 = deriveTdesTransactionKey(ipek, ksnAt(1));
    expect(toHex(deriveTdesPinKey(key1))).toBe('042666B49184CF5C68DE9628D0397B36');
    expect(toHex(encryptTdesBlock(deriveTdesPinKey(key1), CLEAR_FORMAT_0))).toBe('1B9C1845EB993A7A');
    const key2 = deriveTdesTransactionKey(ipek, ksnAt(2));
    expect(toHex(encryptTdesBlock(deriveTdesPinKey(key2), CLEAR_FORMAT_0))).toBe('10A01C8D02C69107');
  });

  it('gives a different key at every counter (no key is reused along a run of counters)', () => {
    const ipek = deriveTdesIpek(BDK, KSN0);
    const seen = new Set<string>();
    for (let counter = 1; counter <= 300; counter++) {
      seen.add(toHex(deriveTdesTransactionKey(ipek, ksnAt(counter))));
    }
    expect(seen.size).toBe(300);
  });

  it('refuses to derive at counter 0 or at a counter with more than 10 one-bits', () => {
    const ipek = deriveTdesIpek(BDK, KSN0);
    for (const counter of [0, 0x7ff, DUKPT_TDES_MAX_COUNTER]) {
      expect(() => deriveTdesTransactionKey(ipek, ksnAt(counter)), counter.toString(16)).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
  });

  it('steps the counter over values with more than 10 one-bits', () => {
    expect(nextTdesCounter(0)).toEqual({ ok: true, counter: 1 });
    expect(nextTdesCounter(0x3fe)).toEqual({ ok: true, counter: 0x3ff });
    // 0x3FF has 10 bits; 0x400 has one.
    expect(nextTdesCounter(0x3ff)).toEqual({ ok: true, counter: 0x400 });
    // 0x7FE has 10 bits; 0x7FF has 11 and is skipped.
    expect(nextTdesCounter(0x7fe)).toEqual({ ok: true, counter: 0x800 });
    for (let c = 0; c < 5000; c++) {
      const next = nextTdesCounter(c);
      if (!next.ok) throw new Error('unexpected overflow');
      expect(next.counter).toBeGreaterThan(c);
      expect(bitCount(next.counter)).toBeLessThanOrEqual(10);
      for (let skipped = c + 1; skipped < next.counter; skipped++)
        expect(bitCount(skipped)).toBeGreaterThan(10);
    }
  });

  it('reports dukptOverflow after the last usable counter, never a wrapped or reused one', () => {
    // 0x1FF800: the ten high bits of the 21-bit counter, the last value with ten one-bits.
    expect(nextTdesCounter(0x1ff7ff)).toEqual({ ok: true, counter: 0x1ff800 });
    expect(nextTdesCounter(0x1ff800)).toEqual({ ok: false, reason: 'dukptOverflow' });
    expect(nextTdesCounter(DUKPT_TDES_MAX_COUNTER)).toEqual({ ok: false, reason: 'dukptOverflow' });
  });

  it('parses a KSN into its initial part and counter', () => {
    expect(parseTdesKsn(ksnAt(0x12345))).toEqual({
      initialKsn: Uint8Array.from(KSN0),
      counter: 0x12345,
    });
    for (const bad of [new Uint8Array(9), new Uint8Array(11)]) {
      expect(() => parseTdesKsn(bad)).toThrow(expect.objectContaining({ code: ErrorCode.DeviceBadArgument }));
    }
  });

  it('refuses keys of the wrong length', () => {
    expect(() => deriveTdesIpek(new Uint8Array(8), KSN0)).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
    expect(() => encryptTdesBlock(BDK, new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
    );
  });
});

// ANSI X9.24-1:2009 A.4.2 and A.4.3 (as restated by the openemv/dukpt test suite): the
// transaction keys and encrypted blocks further along, and the rollover sequence, whose
// counters show the skipping of counters with more than ten one-bits.
describe('DUKPT TDES against the X9.24-1 A.4 sequences', () => {
  const ipek = deriveTdesIpek(BDK, KSN0);
  const vectors: [number, string, string][] = [
    [3, '0DF3D9422ACA56E547676D07AD6BADFA', '18DC07B94797B466'],
    [0x15, 'E161D1956A61F6D2F37AFD7F9CC3699A', '72105C22EBC791E6'],
    [0x0ff800, 'F9CDFEBF4F5B1D9EB3EC12454527E176', '33365F5CC6F23C35'],
    [0x0ff801, '5BEE92627E97825C911BF619DF72CA3B', '3A86BF003F835C9D'],
    [0x0ff802, '64CA2F8AB93F61B01620B00BF77C7301', '3DB977D05C36DF3F'],
    [0x0ff804, '35A168695B3BA83307E871C42021DD37', 'BA83243305712099'],
    [0x0ffc00, 'F9430DF975082491C77BE4EF4FDB91EE', 'DEFC6F09F8927B71'],
    [0x100000, 'AA4D58DB653EC74A48C75F2F047DD2B5', '73EC88AD0AC5830E'],
  ];

  it('derives the published transaction keys and encrypted blocks', () => {
    for (const [counter, key, block] of vectors) {
      const transactionKey = deriveTdesTransactionKey(ipek, ksnAt(counter));
      expect(toHex(transactionKey), counter.toString(16)).toBe(key);
      expect(toHex(encryptTdesBlock(deriveTdesPinKey(transactionKey), CLEAR_FORMAT_0))).toBe(block);
    }
  });

  it('steps the counter through the published rollover sequence', () => {
    const rollover = [
      0x0ff800, 0x0ff801, 0x0ff802, 0x0ff804, 0x0ff808, 0x0ff810, 0x0ff820, 0x0ff840, 0x0ff880, 0x0ff900,
      0x0ffa00, 0x0ffc00, 0x100000,
    ];
    for (let i = 1; i < rollover.length; i++) {
      expect(nextTdesCounter(rollover[i - 1]!)).toEqual({ ok: true, counter: rollover[i] });
    }
  });
});
