import { describe, expect, it } from 'vitest';
import { eppConfigSchema, rawKeyByteMap } from '../../../../devices/pin-pad/epp/config-schema.js';
import { eppLineSettings } from '../../../../devices/pin-pad/epp/create.js';
import { parseConfig } from '../../../../src/config/index.js';

/** Each issue as `path: message`, the way the config reports them. */
function problemsOf(input: unknown): string[] {
  const result = eppConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the epp config fragment', () => {
  it('fills every default: the simulator at 9600 8N1, key events as frames', () => {
    const config = eppConfigSchema.parse({});
    expect(config).toEqual({
      enabled: false,
      port: 'sim:epp',
      protocol: 'epp',
      baudRate: 9600,
      answerTimeoutMs: 500,
      statusPollIntervalMs: 1000,
      silenceTimeoutMs: 5000,
      rawKeyBytes: {},
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.3 },
    });
    expect(eppLineSettings(config)).toEqual({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xonxoff: false,
    });
  });

  it('names each bad field with what it expected', () => {
    expect(problemsOf({ baudRate: 4800 })).toEqual([
      'baudRate: expected one of 9600, 19200, 38400, 57600, 115200',
    ]);
    expect(problemsOf({ answerTimeoutMs: 10 })).toEqual([
      'answerTimeoutMs: expected an integer from 50 to 5000',
    ]);
    expect(problemsOf({ port: 'sim:escpos' })).toEqual([
      'port: expected "sim:epp" for a simulated EPP PIN pad',
    ]);
    expect(problemsOf({ port: 'ttyS0' })[0]).toMatch(/^port: expected an absolute serial device path/);
    expect(problemsOf({ pinKey: 'secret' })).toEqual([expect.stringContaining('pinKey')]);
    expect(problemsOf({ rawKeyBytes: { enter: '31' } })).toEqual([
      'rawKeyBytes.enter: expected a byte as two upper-case hex digits, not 02 or 03 and not an ASCII hex digit (a frame byte)',
    ]);
    expect(problemsOf({ rawKeyBytes: { enter: '03' } })[0]).toMatch(/^rawKeyBytes\.enter: expected a byte/);
    expect(problemsOf({ rawKeyBytes: { enter: '0d' } })[0]).toMatch(/^rawKeyBytes\.enter: expected a byte/);
    expect(problemsOf({ rawKeyBytes: { enter: 13 } })[0]).toMatch(/^rawKeyBytes\.enter: expected a byte/);
    expect(problemsOf({ rawKeyBytes: { submit: '0D' } })).toEqual([expect.stringContaining('submit')]);
  });

  it('checks fields against each other, once per bad value', () => {
    expect(problemsOf({ statusPollIntervalMs: 5000, silenceTimeoutMs: 5000 })).toEqual([
      'silenceTimeoutMs: expected more than statusPollIntervalMs (5000)',
    ]);
    expect(problemsOf({ statusPollIntervalMs: 100, answerTimeoutMs: 1000, silenceTimeoutMs: 800 })).toEqual([
      'silenceTimeoutMs: expected more than answerTimeoutMs (1000)',
    ]);
    expect(problemsOf({ rawKeyBytes: { cancel: '1B', digit: '2A' } })).toEqual([
      "rawKeyBytes.enter: expected the enter key's byte when any key is raw (the driver ends a PIN entry on it)",
    ]);
    expect(problemsOf({ rawKeyBytes: { enter: '0D', cancel: '0D' } })).toEqual([
      "rawKeyBytes.cancel: expected a byte not already the enter key's",
    ]);
  });

  it('maps a ZT588-style raw key table to the parser’s bytes', () => {
    const config = eppConfigSchema.parse({ rawKeyBytes: { cancel: '1B', enter: '0D', digit: '2A' } });
    expect(rawKeyByteMap(config.rawKeyBytes)).toEqual(
      new Map([
        [0x1b, 'cancel'],
        [0x0d, 'enter'],
        [0x2a, 'digit'],
      ]),
    );
  });

  it('is the kiosk config’s devices.pinPad, refusing a protocol this build has no driver for', () => {
    const config = parseConfig({ kioskId: 'k-1', devices: { pinPad: { enabled: true } } }, 'test');
    expect(config.devices.pinPad).toMatchObject({ enabled: true, protocol: 'epp', port: 'sim:epp' });
    expect(() =>
      parseConfig({ kioskId: 'k-1', devices: { pinPad: { enabled: true, protocol: 'zt588' } } }, 'test'),
    ).toThrow(/devices\.pinPad\.protocol: expected "epp", got "zt588"/);
  });
});
