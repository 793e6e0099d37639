import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../../core/errors.js';
import {
  decryptPinBlock,
  deriveAesInitialKey,
  deriveTdesIpek,
} from '../../../simulators/epp/crypto/index.js';
import { eppSimulatorFactory } from '../../../simulators/epp/epp-factory.js';
import { eppConfigOptionsSchema } from '../../../simulators/epp/options.js';
import { PadRig } from './pad-rig.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const PIN_ENTRY = {
  kind: 'startPinEntry',
  minLength: 4,
  maxLength: 12,
  timeoutMs: 30_000,
  autoEnd: false,
} as const;
/** A PIN whose digits do not occur by chance in times and counters of a short test. */
const CANARY = '739164';

function badField(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isKioskError(error, ErrorCode.SimBadControl)) throw error;
    const details = error.details as { field?: string; issues?: Array<{ field: string }> };
    return {
      field: details.field ?? details.issues?.map((i) => i.field).join(',') ?? '',
      message: error.message,
    };
  }
  throw new Error('expected a SimBadControl error');
}

/** A pad in the middle of a PIN entry with presses still to come: plenty to disturb. */
function busyRig(): PadRig {
  const rig = new PadRig();
  rig.ask(PIN_ENTRY);
  rig.press('12');
  rig.control({ action: 'keys.press', keys: '34', intervalMs: 50 });
  return rig;
}

describe('epp simulator: control validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'keys.press', 'action'],
    ['no action', {}, 'action'],
    ['unknown action', { action: 'keys.smash' }, 'action'],
    ['extra field', { action: 'tamper', hard: true }, 'hard'],
    ['keys missing', { action: 'keys.press' }, 'keys'],
    ['keys as a number', { action: 'keys.press', keys: 246810 }, 'keys'],
    ['an empty key string', { action: 'keys.press', keys: '' }, 'keys'],
    ['a key the pad lacks', { action: 'keys.press', keys: '12#4' }, 'keys'],
    ['lower-case letters', { action: 'keys.press', keys: '1234e' }, 'keys'],
    ['too many keys at once', { action: 'keys.press', keys: '1'.repeat(65) }, 'keys'],
    ['a negative interval', { action: 'keys.press', keys: '1', intervalMs: -1 }, 'intervalMs'],
    ['an interval over 10 s', { action: 'keys.press', keys: '1', intervalMs: 10_001 }, 'intervalMs'],
  ];
  for (const [name, command, field] of cases) {
    it(`refuses ${name}, naming ${field}, and changes nothing`, () => {
      const rig = busyRig();
      const before = rig.snapshot();
      expect(badField(() => rig.model.control(command, rig.now)).field).toBe(field);
      expect(rig.snapshot()).toEqual(before);
    });
  }

  it('never quotes the keys in its error: they may be a PIN', () => {
    const rig = busyRig();
    const { message } = badField(() => rig.control({ action: 'keys.press', keys: `${CANARY}#` }));
    expect(message).not.toContain(CANARY);
  });

  it('refuses presses past the finger queue, naming how many wait, and changes nothing', () => {
    const rig = busyRig();
    for (let i = 0; i < 3; i++) rig.control({ action: 'keys.press', keys: '1'.repeat(64) });
    const before = rig.snapshot();
    const waiting = rig.state().pendingPresses;
    expect(waiting).toBeGreaterThan(256 - 64);
    const { message } = badField(() => rig.control({ action: 'keys.press', keys: '1'.repeat(64) }));
    expect(message).toContain(`${waiting} presses`);
    expect(rig.snapshot()).toEqual(before);
  });
});

describe('epp simulator: the finger', () => {
  it('presses intervalMs apart (the preset by default) and says when the last lands', () => {
    const rig = new PadRig({ timing: { keyIntervalMs: 150 } });
    rig.ask(PIN_ENTRY);
    const start = rig.now;
    const result = rig.control({ action: 'keys.press', keys: '1234' }) as { lastPressAt: number };
    expect(result.lastPressAt).toBe(start + 450);
    rig.quiet(5000);
    expect(rig.heard.filter((h) => h.message.kind === 'pinKey').map((h) => h.at - start)).toEqual([
      0, 150, 300, 450,
    ]);
    // Later actions queue behind the last press, an interval after it, as one finger would.
    const t = result.lastPressAt;
    rig.control({ action: 'keys.press', keys: '5', intervalMs: 40 });
    rig.control({ action: 'keys.press', keys: '6E', intervalMs: 40 });
    rig.quiet(5000);
    expect(rig.heard.slice(-4).map((h) => [h.message.kind, h.at - t])).toEqual([
      ['pinKey', 40],
      ['pinKey', 80],
      ['pinKey', 120],
      ['pinEntryEnded', 120],
    ]);
  });

  it('the state read gives entry, digit count and KSN counter, never a digit', () => {
    const rig = new PadRig();
    rig.ask(PIN_ENTRY);
    const pressed = rig.control({ action: 'keys.press', keys: CANARY });
    rig.run(50);
    const state = rig.control({ action: 'state' });
    expect(state).toEqual({
      power: 'on',
      tampered: false,
      keyScheme: 'dukptTdes',
      entry: 'pinEntry',
      digits: 6,
      pinReady: false,
      ksnCounter: 0,
      keysExhausted: false,
      pendingPresses: 0,
    });
    rig.press('E');
    for (const view of [pressed, state, rig.snapshot(), rig.control({ action: 'state' })]) {
      expect(JSON.stringify(view)).not.toContain(CANARY);
    }
  });
});

describe('epp simulator: power', () => {
  it('off: silent, input lost, entry and pending presses gone; on: boots, then answers', () => {
    const rig = new PadRig({ timing: { bootMs: 100 } });
    rig.ask(PIN_ENTRY);
    rig.control({ action: 'keys.press', keys: '1234E', intervalMs: 100 });
    rig.run(150);
    rig.control({ action: 'power.off' });
    expect(rig.state()).toMatchObject({ power: 'off', entry: 'idle', digits: 0, pendingPresses: 0 });
    expect(rig.send({ kind: 'getStatus' })).toEqual([]);
    rig.control({ action: 'power.on' });
    expect(rig.state().power).toBe('booting');
    expect(rig.send({ kind: 'getStatus' })).toEqual([]);
    rig.run(100);
    expect(rig.state().power).toBe('on');
    expect(rig.ask({ kind: 'getStatus' })).toMatchObject({ kind: 'status', state: 'idle', pinReady: false });
    expect((rig.snapshot()['counters'] as Record<string, number>)['bytesLostWhileOff']).toBe(16);
  });
});

describe('epp simulator: tamper', () => {
  it('ends a running entry as cancel, erases the key, and answers tampered to all but getStatus', () => {
    const rig = new PadRig();
    rig.ask(PIN_ENTRY);
    rig.press('1234');
    rig.control({ action: 'tamper' });
    expect(rig.quiet()).toEqual([{ kind: 'pinEntryEnded', completion: 'cancel', digits: 4 }]);
    expect(rig.state()).toMatchObject({
      tampered: true,
      keyScheme: 'none',
      ksnCounter: null,
      pinReady: false,
    });
    for (const command of [
      PIN_ENTRY,
      { kind: 'reset' },
      { kind: 'beep', durationMs: 100 },
      { kind: 'cancelEntry' },
      { kind: 'getPinBlock', format: 'iso0', account: '13800138000' },
    ] as const) {
      expect(rig.ask(command)).toMatchObject({ kind: 'error', error: 'tampered', errorCode: 0xe8 });
    }
    expect(rig.ask({ kind: 'getStatus' })).toMatchObject({ kind: 'status', keyScheme: 'none' });
    rig.control({ action: 'power.off' });
    rig.control({ action: 'power.on' });
    rig.run(1000);
    expect(rig.ask({ kind: 'reset' })).toMatchObject({ error: 'tampered' });
  });
});

describe('epp simulator: frames it cannot take', () => {
  it('unknown code → unknownCommand; known code with bad parameters → badParameter; nothing changes', () => {
    const rig = new PadRig();
    expect(rig.ask({ kind: 'unknownCommand', code: 0x44, params: new Uint8Array(0) })).toMatchObject({
      kind: 'error',
      commandCode: 0x44,
      error: 'unknownCommand',
      errorCode: 0xe0,
    });
    // startPinEntry asking for 3 digits at least (the protocol's minimum is 4).
    const tooShort = Uint8Array.of(3, 6, 0, 0, 0x75, 0x30, 0);
    expect(rig.ask({ kind: 'unknownCommand', code: 0x40, params: tooShort })).toMatchObject({
      error: 'badParameter',
      errorCode: 0xe1,
    });
    expect(rig.ask({ kind: 'unknownCommand', code: 0x30, params: Uint8Array.of(1) })).toMatchObject({
      commandCode: 0x30,
      error: 'badParameter',
    });
    expect(rig.state().entry).toBe('idle');
  });

  it('says nothing to a frame with an event code (no reply can carry one) or to a damaged frame', () => {
    const rig = new PadRig();
    expect(rig.send({ kind: 'unknownCommand', code: 0x52, params: new Uint8Array(0) })).toEqual([]);
    expect(rig.sendBytes(Uint8Array.from([0x02, ...Buffer.from('013131'), 0x03]), 50)).toEqual([]);
    const counters = rig.snapshot()['counters'] as {
      eventCodeCommands: number;
      parser: { badFrames: number };
    };
    expect(counters.eventCodeCommands).toBe(1);
    expect(counters.parser.badFrames).toBe(1);
    expect(rig.ask({ kind: 'getStatus' }).kind).toBe('status');
  });
});

describe('epp simulator: vendor variations', () => {
  it('rawBytes: PIN keys go bare (2A, 08, 18, 0D, 1B) with no completion event', () => {
    const rig = new PadRig({ keyEvents: 'rawBytes' });
    rig.ask(PIN_ENTRY);
    const from = rig.chunks.length;
    rig.press('123BX2468E');
    expect(rig.chunks.slice(from).map((c) => c.hex)).toEqual([
      '2A',
      '2A',
      '2A',
      '08',
      '18',
      '2A',
      '2A',
      '2A',
      '2A',
      '0D',
    ]);
    expect(rig.state()).toMatchObject({ entry: 'idle', pinReady: true });
    const reply = rig.ask({ kind: 'getPinBlock', format: 'iso0', account: '13800138000' });
    expect(reply.kind).toBe('pinBlock');
  });

  it('rawBytes: refused keys go bare too (the host counts by the same rules), and the PIN is what was taken', () => {
    const rig = new PadRig({ keyEvents: 'rawBytes' });
    rig.ask({ ...PIN_ENTRY, minLength: 4, maxLength: 6 });
    const from = rig.chunks.length;
    // Enter below minLength, then a seventh digit past maxLength: both refused by the pad, both sent.
    rig.press('12E34567E');
    expect(rig.chunks.slice(from).map((c) => c.hex)).toEqual([
      '2A',
      '2A',
      '0D',
      ...Array(5).fill('2A'),
      '0D',
    ]);
    const reply = rig.ask({ kind: 'getPinBlock', format: 'iso0', account: '13800138000' });
    if (reply.kind !== 'pinBlock') throw new Error(`no block: ${JSON.stringify(reply)}`);
    const bdk = hex('0123456789ABCDEFFEDCBA9876543210');
    expect(
      decryptPinBlock({
        bdk,
        format: 'iso0',
        pinBlock: reply.pinBlock,
        ksn: reply.ksn,
        account: '13800138000',
      }),
    ).toEqual({ ok: true, pin: '123456' });
  });

  it('rawBytes: the cancel key goes bare too; data entry keeps its frames (clear digits are hex)', () => {
    const rig = new PadRig({ keyEvents: 'rawBytes' });
    rig.ask(PIN_ENTRY);
    const from = rig.chunks.length;
    rig.press('12C');
    expect(rig.chunks.slice(from).map((c) => c.hex)).toEqual(['2A', '2A', '1B']);
    rig.ask({ kind: 'startDataEntry', minLength: 1, maxLength: 3, timeoutMs: 1000, autoEnd: true });
    expect(rig.press('138').at(-1)).toEqual({ kind: 'dataEntryEnded', completion: 'auto', value: '138' });
  });

  it('frames (the default): every press is a checked frame', () => {
    const rig = new PadRig();
    rig.ask(PIN_ENTRY);
    const from = rig.chunks.length;
    rig.press('1C');
    expect(rig.chunks.slice(from).map((c) => c.hex)).toEqual([
      toHex(Uint8Array.from([0x02, ...Buffer.from('02502A78'), 0x03])),
      toHex(Uint8Array.from([0x02, ...Buffer.from('02501B49'), 0x03])),
      toHex(Uint8Array.from([0x02, ...Buffer.from('0352020152'), 0x03])),
    ]);
  });

  it('identity fields come from the options', () => {
    const rig = new PadRig({ model: 'ZT598', serial: 'SN-42', firmware: '2.1' });
    expect(rig.ask({ kind: 'getStatus' })).toEqual({
      kind: 'status',
      state: 'idle',
      keyScheme: 'dukptTdes',
      pinReady: false,
      model: 'ZT598',
      serial: 'SN-42',
      firmware: '2.1',
    });
  });
});

describe('epp simulator: options', () => {
  const OTHER_KSN = 'FFFF9876543211E00000';
  const OTHER_KEY_ID = '0123456789ABCDEF';

  it('loads another key: a TDES IPEK with its KSN, an AES initial key with its key ID', () => {
    const tdesBdk = hex('0123456789ABCDEFFEDCBA9876543210');
    const aesBdk = hex('FEDCBA9876543210F1F1F1F1F1F1F1F1');
    for (const [options, bdk, format] of [
      [
        {
          keyScheme: 'dukptTdes',
          initialKey: toHex(deriveTdesIpek(tdesBdk, hex(OTHER_KSN))),
          initialKsn: OTHER_KSN,
        },
        tdesBdk,
        'iso0',
      ],
      [
        {
          keyScheme: 'dukptAes128',
          initialKey: toHex(deriveAesInitialKey(aesBdk, hex(OTHER_KEY_ID))),
          initialKeyId: OTHER_KEY_ID,
          initialCounter: 41,
        },
        aesBdk,
        'iso4',
      ],
    ] as const) {
      const rig = new PadRig(options);
      rig.ask(PIN_ENTRY);
      rig.press('5820E');
      const reply = rig.ask({ kind: 'getPinBlock', format, account: '13800138000' });
      if (reply.kind !== 'pinBlock') throw new Error(`no block: ${JSON.stringify(reply)}`);
      expect(toHex(reply.ksn).startsWith(format === 'iso0' ? 'FFFF9876543211E' : OTHER_KEY_ID)).toBe(true);
      expect(
        decryptPinBlock({ bdk, format, pinBlock: reply.pinBlock, ksn: reply.ksn, account: '13800138000' }),
      ).toEqual({ ok: true, pin: '5820' });
    }
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown field', { keySchema: 'dukptTdes' }, 'keySchema'],
    ['an unknown scheme', { keyScheme: 'sm4' }, 'keyScheme'],
    ['a short key', { initialKey: 'ABCD', initialKsn: OTHER_KSN }, 'initialKey'],
    ['a key without its KSN', { initialKey: '00'.repeat(16) }, 'initialKsn'],
    ['a KSN without its key', { initialKsn: OTHER_KSN }, 'initialKey'],
    ['a key ID on a TDES pad', { initialKeyId: OTHER_KEY_ID }, 'initialKeyId'],
    ['a KSN on an AES pad', { keyScheme: 'dukptAes128', initialKsn: OTHER_KSN }, 'initialKsn'],
    [
      'a KSN with counter bits set',
      { initialKey: '00'.repeat(16), initialKsn: 'FFFF9876543210E00001' },
      'initialKsn',
    ],
    ['a TDES counter past 21 bits', { initialCounter: 0x20_0000 }, 'initialCounter'],
    ['a counter on a pad with no key', { keyScheme: 'none', initialCounter: 1 }, 'initialCounter'],
    ['a fractional counter', { initialCounter: 1.5 }, 'initialCounter'],
    ['an unknown key-event form', { keyEvents: 'bytes' }, 'keyEvents'],
    ['a model name too long', { model: 'M'.repeat(33) }, 'model'],
    ['a serial with a control character', { serial: 'A\u0007' }, 'serial'],
    ['an unknown timing preset', { timingPreset: 'slow' }, 'timingPreset'],
    ['an unknown timing field', { timing: { typingMs: 5 } }, 'timing.typingMs'],
    ['an unsupported baud rate', { baudRate: 1200 }, 'baudRate'],
  ];
  for (const [name, options, field] of bad) {
    it(`refuses ${name}, naming ${field}`, () => {
      expect(badField(() => eppSimulatorFactory.create(options)).field).toBe(field);
    });
  }

  it("the daemon config's form holds no key: key fields are unknown there", () => {
    expect(
      eppConfigOptionsSchema.safeParse({ keyScheme: 'dukptAes128', keyEvents: 'rawBytes' }).success,
    ).toBe(true);
    for (const field of ['initialKey', 'initialKsn', 'initialKeyId']) {
      const checked = eppConfigOptionsSchema.safeParse({ [field]: '00'.repeat(16) });
      expect(checked.success).toBe(false);
    }
  });
});
