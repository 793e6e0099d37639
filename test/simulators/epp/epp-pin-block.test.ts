import { describe, expect, it } from 'vitest';
import { type EppPadMessage, encodeCommand } from '../../../devices/pin-pad/epp/codec/index.js';
import {
  AES_DUKPT_MAX_COUNTER,
  DUKPT_TDES_MAX_COUNTER,
  decryptPinBlock,
  deriveAesInitialKey,
  deriveTdesIpek,
  nextAesCounter,
  nextTdesCounter,
  parseAesKsn,
  parseTdesKsn,
} from '../../../simulators/epp/crypto/index.js';
import { MAX_COUNTER, TEST_KEYS } from '../../../simulators/epp/options.js';
import { PadRig } from './pad-rig.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const TDES_BDK = hex('0123456789ABCDEFFEDCBA9876543210');
const AES_BDK = hex('FEDCBA9876543210F1F1F1F1F1F1F1F1');
const ACCOUNT = '13800138000';

const SCHEMES = [
  {
    keyScheme: 'dukptTdes',
    format: 'iso0',
    bdk: TDES_BDK,
    counterOf: (k: Uint8Array) => parseTdesKsn(k).counter,
  },
  {
    keyScheme: 'dukptAes128',
    format: 'iso4',
    bdk: AES_BDK,
    counterOf: (k: Uint8Array) => parseAesKsn(k).counter,
  },
] as const;

type PinBlockReply = Extract<EppPadMessage, { kind: 'pinBlock' }>;

/** Types `keys` into a fresh PIN entry and asks for the block. */
function typeAndSeal(rig: PadRig, keys: string, format: 'iso0' | 'iso4', account = ACCOUNT): EppPadMessage {
  rig.ask({ kind: 'startPinEntry', minLength: 4, maxLength: 12, timeoutMs: 30_000, autoEnd: false });
  rig.press(keys);
  return rig.ask({ kind: 'getPinBlock', format, account });
}

describe('epp simulator: PIN blocks', () => {
  it('loads the PROTOCOLS.md test keys by default: the IPEK and IK those BDKs give', () => {
    expect(toHex(deriveTdesIpek(TDES_BDK, hex(TEST_KEYS.dukptTdes.initialKeySerial)))).toBe(
      TEST_KEYS.dukptTdes.initialKey,
    );
    expect(toHex(deriveAesInitialKey(AES_BDK, hex(TEST_KEYS.dukptAes128.initialKeySerial)))).toBe(
      TEST_KEYS.dukptAes128.initialKey,
    );
    // The schema file cannot import the crypto; its counter bounds must still be the crypto's.
    expect(MAX_COUNTER).toEqual({ dukptTdes: DUKPT_TDES_MAX_COUNTER, dukptAes128: AES_DUKPT_MAX_COUNTER });
  });

  for (const scheme of SCHEMES) {
    it(`${scheme.keyScheme}: the ${scheme.format} block decrypts at the HSM to the PIN typed, edits included`, () => {
      const rig = new PadRig({ keyScheme: scheme.keyScheme });
      for (const [keys, pin] of [
        ['246810E', '246810'],
        ['1239B4567X8642E', '8642'],
        ['123456789012E', '123456789012'],
      ] as const) {
        const reply = typeAndSeal(rig, keys, scheme.format) as PinBlockReply;
        expect(reply.kind).toBe('pinBlock');
        expect(reply.format).toBe(scheme.format);
        const opened = decryptPinBlock({
          bdk: scheme.bdk,
          format: scheme.format,
          pinBlock: reply.pinBlock,
          ksn: reply.ksn,
          account: ACCOUNT,
        });
        expect(opened).toEqual({ ok: true, pin });
      }
    });

    it(`${scheme.keyScheme}: each block steps the KSN counter by one; the block holds only for its account`, () => {
      const rig = new PadRig({ keyScheme: scheme.keyScheme });
      const counters: number[] = [];
      let last: PinBlockReply | undefined;
      for (let i = 0; i < 3; i++) {
        last = typeAndSeal(rig, '2468E', scheme.format) as PinBlockReply;
        counters.push(scheme.counterOf(last.ksn));
      }
      expect(counters).toEqual([1, 2, 3]);
      expect(rig.state().ksnCounter).toBe(3);
      const other = decryptPinBlock({
        bdk: scheme.bdk,
        format: scheme.format,
        pinBlock: last!.pinBlock,
        ksn: last!.ksn,
        account: '13900139000',
      });
      expect(other.ok && other.pin === '2468').toBe(false);
    });

    it(`${scheme.keyScheme}: the PIN is gone after its block: a second getPinBlock is noPin, the counter stays`, () => {
      const rig = new PadRig({ keyScheme: scheme.keyScheme });
      expect(typeAndSeal(rig, '2468E', scheme.format).kind).toBe('pinBlock');
      expect(rig.ask({ kind: 'getPinBlock', format: scheme.format, account: ACCOUNT })).toMatchObject({
        kind: 'error',
        error: 'noPin',
        errorCode: 0xe3,
      });
      expect(rig.state()).toMatchObject({ pinReady: false, ksnCounter: 1 });
    });
  }

  it('dukptAes128: the PROTOCOLS.md format-4 block with the random field fixed', () => {
    const rig = new PadRig({ keyScheme: 'dukptAes128' }, { random: () => hex('2F69ADDE2E9E7ACE') });
    const reply = typeAndSeal(rig, '1234E', 'iso4', '4111111111111111') as PinBlockReply;
    expect(toHex(reply.pinBlock)).toBe('A912150391AB65A67E52883D81CE2D15');
    expect(toHex(reply.ksn)).toBe('123456789012345600000001');
  });

  it('a PIN block takes pinBlockMs longer, and a command sent meanwhile is answered after it', () => {
    const rig = new PadRig({ timing: { answerDelayMs: 10, pinBlockMs: 40 } });
    rig.ask({ kind: 'startPinEntry', minLength: 4, maxLength: 12, timeoutMs: 30_000, autoEnd: false });
    rig.press('2468E');
    const sentAt = rig.now;
    rig.sendBytes(encodeCommand({ kind: 'getPinBlock', format: 'iso0', account: ACCOUNT }));
    rig.sendBytes(encodeCommand({ kind: 'getStatus' }));
    rig.quiet();
    const replies = rig.heard.slice(-2).map((h) => [h.message.kind, h.at - sentAt]);
    expect(replies).toEqual([
      ['pinBlock', 50],
      ['status', 50],
    ]);
  });

  it('refuses the format the key cannot make (formatNotSupported) and keeps the PIN for the right one', () => {
    const rig = new PadRig();
    expect(typeAndSeal(rig, '2468E', 'iso4')).toMatchObject({ kind: 'error', error: 'formatNotSupported' });
    expect(rig.state()).toMatchObject({ pinReady: true, ksnCounter: 0 });
    expect(rig.ask({ kind: 'getPinBlock', format: 'iso0', account: ACCOUNT }).kind).toBe('pinBlock');
  });

  it('refuses a one-digit account for format 0 (badParameter), keeping the PIN and the counter', () => {
    const rig = new PadRig();
    expect(typeAndSeal(rig, '2468E', 'iso0', '7')).toMatchObject({ kind: 'error', error: 'badParameter' });
    expect(rig.state()).toMatchObject({ pinReady: true, ksnCounter: 0 });
  });

  it('a pad with no key takes no PIN and makes no block: noKey', () => {
    const rig = new PadRig({ keyScheme: 'none' });
    expect(rig.ask({ kind: 'getStatus' })).toMatchObject({ kind: 'status', keyScheme: 'none' });
    expect(
      rig.ask({ kind: 'startPinEntry', minLength: 4, maxLength: 6, timeoutMs: 1000, autoEnd: false }),
    ).toMatchObject({
      kind: 'error',
      error: 'noKey',
    });
    expect(rig.ask({ kind: 'getPinBlock', format: 'iso0', account: ACCOUNT })).toMatchObject({
      error: 'noKey',
    });
    // Data entry needs no key.
    expect(
      rig.ask({ kind: 'startDataEntry', minLength: 1, maxLength: 11, timeoutMs: 1000, autoEnd: false }).kind,
    ).toBe('done');
  });

  for (const scheme of SCHEMES) {
    it(`${scheme.keyScheme}: exhaustion answers dukptOverflow for good, never a reused key`, () => {
      // A counter one step below the last usable one (TDES: at most 10 one-bits in 21 bits,
      // AES: at most 16 in 32): one more block, then none.
      const before = scheme.keyScheme === 'dukptTdes' ? 0x1f_f400 : 0xfffe_8000;
      const next = scheme.keyScheme === 'dukptTdes' ? nextTdesCounter : nextAesCounter;
      const step = next(before);
      if (!step.ok) throw new Error(`${before} is already past the last counter`);
      const lastUsable = step.counter;
      expect(next(lastUsable).ok).toBe(false);
      expect(lastUsable).toBeLessThanOrEqual(MAX_COUNTER[scheme.keyScheme]);

      const rig = new PadRig({ keyScheme: scheme.keyScheme, initialCounter: before });
      const first = typeAndSeal(rig, '2468E', scheme.format) as PinBlockReply;
      expect(scheme.counterOf(first.ksn)).toBe(lastUsable);
      expect(
        decryptPinBlock({
          bdk: scheme.bdk,
          format: scheme.format,
          pinBlock: first.pinBlock,
          ksn: first.ksn,
          account: ACCOUNT,
        }),
      ).toEqual({
        ok: true,
        pin: '2468',
      });
      expect(rig.state()).toMatchObject({ ksnCounter: lastUsable, keysExhausted: true });

      expect(typeAndSeal(rig, '1357E', scheme.format)).toMatchObject({
        kind: 'error',
        error: 'dukptOverflow',
        errorCode: 0xe4,
      });
      // The PIN that could not be sealed is not kept, and nothing moved.
      expect(rig.state()).toMatchObject({ pinReady: false, ksnCounter: lastUsable });
      rig.control({ action: 'power.off' });
      rig.control({ action: 'power.on' });
      rig.run(1000);
      expect(typeAndSeal(rig, '1357E', scheme.format)).toMatchObject({
        kind: 'error',
        error: 'dukptOverflow',
      });
    });
  }

  it('the counter is NVRAM: it survives a power cycle, and the next block takes the next key', () => {
    const rig = new PadRig();
    const first = typeAndSeal(rig, '2468E', 'iso0') as PinBlockReply;
    rig.ask({ kind: 'startPinEntry', minLength: 4, maxLength: 12, timeoutMs: 30_000, autoEnd: false });
    rig.press('1357E');
    expect(rig.state().pinReady).toBe(true);
    rig.control({ action: 'power.off' });
    expect(rig.state()).toMatchObject({ power: 'off', pinReady: false, ksnCounter: 1 });
    rig.control({ action: 'power.on' });
    rig.run(1000);
    // The PIN typed before the power cut is gone with the RAM.
    expect(rig.ask({ kind: 'getPinBlock', format: 'iso0', account: ACCOUNT })).toMatchObject({
      error: 'noPin',
    });
    const second = typeAndSeal(rig, '2468E', 'iso0') as PinBlockReply;
    expect(parseTdesKsn(second.ksn).counter).toBe(2);
    expect(toHex(second.pinBlock)).not.toBe(toHex(first.pinBlock));
  });
});
