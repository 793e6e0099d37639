import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';

/*
 * Whatever `kioskd run` refuses at start, `kioskd config check` refuses first: an operator who
 * checked a config must not meet a new refusal when the daemon starts.
 */
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

describe('the schema makes the daemon’s start-time refusals', () => {
  it('refuses a kiosk API host that is not loopback', () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      expect(problemsOf({ ...ok, api: { host } })).toEqual([
        `api.host: expected a loopback address: 127.0.0.1, ::1 or localhost (the kiosk API is for the screen on this machine), got ${JSON.stringify(host)}`,
      ]);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(parseConfig({ ...ok, api: { host } }, 'test').api.host).toBe(host);
    }
  });

  it('takes the EPP PIN pad and refuses a PIN pad protocol this build has no driver for', () => {
    expect(
      parseConfig({ ...ok, devices: { pinPad: { enabled: true } } }, 'test').devices.pinPad.protocol,
    ).toBe('epp');
    expect(problemsOf({ ...ok, devices: { pinPad: { enabled: true, protocol: 'zt588' } } })).toEqual([
      'devices.pinPad.protocol: expected "epp", got "zt588"',
    ]);
  });

  it('refuses a simulated acceptor port that names no ID-003 simulator', () => {
    for (const port of ['sim:foo', 'sim:echo']) {
      expect(problemsOf({ ...ok, devices: { cashAcceptor: { port } } })).toEqual([
        `devices.cashAcceptor.port: expected "sim:id003" for a simulated ID-003 acceptor, got ${JSON.stringify(port)}`,
      ]);
    }
  });
});
