import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../core/errors.js';
import {
  DukptPinEncryptor,
  decryptPinBlock,
  deriveAesInitialKey,
  deriveTdesIpek,
} from '../../../../simulators/epp/crypto/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

const TDES_BDK = hex('0123456789ABCDEFFEDCBA9876543210');
const TDES_KSN = hex('FFFF9876543210E00000');
const AES_BDK = hex('FEDCBA9876543210F1F1F1F1F1F1F1F1');
const AES_KEY_ID = hex('1234567890123456');

function tdesPad(counter = 0): DukptPinEncryptor {
  return new DukptPinEncryptor({
    scheme: 'tdes',
    initialKey: deriveTdesIpek(TDES_BDK, TDES_KSN),
    initialKeySerial: TDES_KSN,
    counter,
  });
}

function aesPad(counter = 0): DukptPinEncryptor {
  return new DukptPinEncryptor({
    scheme: 'aes128',
    initialKey: deriveAesInitialKey(AES_BDK, AES_KEY_ID),
    initialKeySerial: AES_KEY_ID,
    counter,
  });
}

describe('DukptPinEncryptor (the pad) and decryptPinBlock (the HSM)', () => {
  it('the TDES pad gives the published blocks and KSNs for its first two PINs', () => {
    const pad = tdesPad();
    const first = pad.encryptPin({ pin: '1234', account: '4012345678909', format: 'iso0' });
    expect(first.ok && { pinBlock: toHex(first.pinBlock), ksn: toHex(first.ksn) }).toEqual({
      pinBlock: '1B9C1845EB993A7A',
      ksn: 'FFFF9876543210E00001',
    });
    const second = pad.encryptPin({ pin: '1234', account: '4012345678909', format: 'iso0' });
    expect(second.ok && { pinBlock: toHex(second.pinBlock), ksn: toHex(second.ksn) }).toEqual({
      pinBlock: '10A01C8D02C69107',
      ksn: 'FFFF9876543210E00002',
    });
    expect(pad.counter).toBe(2);
  });

  it('the AES pad gives the published format-4 block at counter 1 with the random field fixed', () => {
    const result = aesPad().encryptPin({
      pin: '1234',
      account: '4111111111111111',
      format: 'iso4',
      random: hex('2F69ADDE2E9E7ACE'),
    });
    expect(result.ok && { pinBlock: toHex(result.pinBlock), ksn: toHex(result.ksn) }).toEqual({
      pinBlock: 'A912150391AB65A67E52883D81CE2D15',
      ksn: '123456789012345600000001',
    });
  });

  it('the HSM decrypts the published blocks to the PIN', () => {
    expect(
      decryptPinBlock({
        bdk: TDES_BDK,
        format: 'iso0',
        ksn: hex('FFFF9876543210E00002'),
        pinBlock: hex('10A01C8D02C69107'),
        account: '4012345678909',
      }),
    ).toEqual({ ok: true, pin: '1234' });
    expect(
      decryptPinBlock({
        bdk: AES_BDK,
        format: 'iso4',
        ksn: hex('123456789012345600000001'),
        pinBlock: hex('A912150391AB65A67E52883D81CE2D15'),
        account: '4111111111111111',
      }),
    ).toEqual({ ok: true, pin: '1234' });
  });

  it('any PIN typed on either pad decrypts at the HSM to that PIN', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('iso0' as const, 'iso4' as const),
        fc.stringMatching(/^[0-9]{4,12}$/),
        fc.stringMatching(/^[0-9]{2,19}$/),
        fc.integer({ min: 0, max: 5000 }),
        (format, pin, account, counter) => {
          const pad = format === 'iso0' ? tdesPad(counter) : aesPad(counter);
          const sent = pad.encryptPin({ pin, account, format });
          if (!sent.ok) throw new Error(sent.reason);
          const bdk = format === 'iso0' ? TDES_BDK : AES_BDK;
          const got = decryptPinBlock({ bdk, format, ksn: sent.ksn, pinBlock: sent.pinBlock, account });
          expect(got).toEqual({ ok: true, pin });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a block under the wrong BDK or for another account is malformedPinBlock, not a wrong PIN', () => {
    const sent = tdesPad().encryptPin({ pin: '246810', account: '13800138000', format: 'iso0' });
    if (!sent.ok) throw new Error(sent.reason);
    const base = { format: 'iso0' as const, ksn: sent.ksn, pinBlock: sent.pinBlock };
    expect(decryptPinBlock({ ...base, bdk: AES_BDK, account: '13800138000' })).toEqual({
      ok: false,
      reason: 'malformedPinBlock',
    });
    expect(decryptPinBlock({ ...base, bdk: TDES_BDK, account: '13900139000' })).toEqual({
      ok: false,
      reason: 'malformedPinBlock',
    });
  });

  it('the HSM refuses a KSN or block that does not fit the format, as a result (network data)', () => {
    const base = { bdk: TDES_BDK, format: 'iso0' as const, account: '4012345678909' };
    expect(decryptPinBlock({ ...base, ksn: hex('FFFF9876543210E0'), pinBlock: new Uint8Array(8) })).toEqual({
      ok: false,
      reason: 'badKsn',
    });
    // Counter 0 is never used by a pad; 0x7FF has eleven one-bits.
    for (const ksn of ['FFFF9876543210E00000', 'FFFF9876543210E007FF']) {
      expect(decryptPinBlock({ ...base, ksn: hex(ksn), pinBlock: new Uint8Array(8) })).toEqual({
        ok: false,
        reason: 'badKsn',
      });
    }
    expect(
      decryptPinBlock({ ...base, ksn: hex('FFFF9876543210E00001'), pinBlock: new Uint8Array(16) }),
    ).toEqual({
      ok: false,
      reason: 'badPinBlock',
    });
    expect(
      decryptPinBlock({
        ...base,
        account: '12ab',
        ksn: hex('FFFF9876543210E00001'),
        pinBlock: new Uint8Array(8),
      }),
    ).toEqual({ ok: false, reason: 'badAccount' });
    expect(
      decryptPinBlock({
        ...base,
        format: 'iso3' as 'iso0',
        ksn: hex('FFFF9876543210E00001'),
        pinBlock: new Uint8Array(8),
      }),
    ).toEqual({ ok: false, reason: 'badFormat' });
  });

  it('TDES exhaustion: dukptOverflow, the counter stays, and no block is ever made with a used key', () => {
    const pad = tdesPad(0x1ff7ff);
    const last = pad.encryptPin({ pin: '1234', account: '4012345678909', format: 'iso0' });
    expect(last.ok && toHex(last.ksn)).toBe('FFFF9876543210FFF800');
    for (let i = 0; i < 3; i++) {
      expect(pad.encryptPin({ pin: '1234', account: '4012345678909', format: 'iso0' })).toEqual({
        ok: false,
        reason: 'dukptOverflow',
      });
      expect(pad.counter).toBe(0x1ff800);
    }
  });

  it('AES exhaustion: dukptOverflow after counter FFFF0000', () => {
    const pad = aesPad(0xffff0000);
    expect(pad.encryptPin({ pin: '1234', account: '4111111111111111', format: 'iso4' })).toEqual({
      ok: false,
      reason: 'dukptOverflow',
    });
    expect(pad.counter).toBe(0xffff0000);
  });

  it('a format the pad key cannot make is formatNotSupported (format 4 needs AES, format 0 TDES)', () => {
    expect(tdesPad().encryptPin({ pin: '1234', account: '4111111111111111', format: 'iso4' })).toEqual({
      ok: false,
      reason: 'formatNotSupported',
    });
    expect(aesPad().encryptPin({ pin: '1234', account: '4111111111111111', format: 'iso0' })).toEqual({
      ok: false,
      reason: 'formatNotSupported',
    });
  });

  it('refuses settings it cannot use, naming them', () => {
    const make = (over: Partial<ConstructorParameters<typeof DukptPinEncryptor>[0]>) => () =>
      new DukptPinEncryptor({
        scheme: 'tdes',
        initialKey: new Uint8Array(16),
        initialKeySerial: TDES_KSN,
        counter: 0,
        ...over,
      });
    for (const bad of [
      { initialKey: new Uint8Array(8) },
      { initialKeySerial: new Uint8Array(8) },
      { counter: -1 },
      { counter: 1.5 },
      { counter: 0x200000 },
      { scheme: 'sm4' as 'tdes' },
    ]) {
      expect(make(bad), JSON.stringify(Object.keys(bad))).toThrow(
        expect.objectContaining({ code: ErrorCode.DeviceBadArgument }),
      );
    }
  });
});
