import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';

/** The problem lines parseConfig reports for `raw`; fails the test if it accepts it. */
function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (error) {
    if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
    const problems = error.details?.['problems'] as string[];
    expect(error.message).toBe(problems.join('\n'));
    expect(error.details?.['source']).toBe('test');
    return problems;
  }
  throw new Error('expected the config to be rejected');
}

const ok = { kioskId: 'k-1' };
const ED25519_EXPECTED =
  'expected an Ed25519 public key (PEM "-----BEGIN PUBLIC KEY-----" or base64 of its 32 raw bytes)';

describe('config problem lines', () => {
  it('names an unknown key and suggests the nearest known one', () => {
    expect(problemsOf({ ...ok, fleet: { brokre: { url: 'embedded' } } })).toEqual([
      'fleet.brokre: unknown key (did you mean "broker"?)',
    ]);
    expect(problemsOf({ ...ok, fleet: { embeddedBroker: { adress: 'x' } } })).toEqual([
      'fleet.embeddedBroker.adress: unknown key (expected one of "host", "port", "maxPacketBytes")',
    ]);
    expect(problemsOf({ ...ok, colour: 'blue' })).toEqual(['colour: unknown key']);
    expect(problemsOf({ kioskid: 'k-1' })).toEqual([
      'kioskid: unknown key (did you mean "kioskId"?)',
      'kioskId: required, got nothing',
    ]);
  });

  it('names a wrong type with the value found', () => {
    expect(problemsOf({ ...ok, devices: { cashAcceptor: { port: 42 } } })).toEqual([
      'devices.cashAcceptor.port: expected a serial path or "sim:id003", got 42',
    ]);
    expect(problemsOf({ ...ok, log: { byteTrace: 'yes' } })).toEqual([
      'log.byteTrace: expected true or false, got "yes"',
    ]);
    expect(problemsOf({ ...ok, limits: { maxPerTransaction: 100.5 } })).toEqual([
      'limits.maxPerTransaction: expected a positive integer amount in minor units (fen), got 100.5',
    ]);
    expect(problemsOf(42)).toEqual(['(top level): expected a mapping (key: value pairs), got 42']);
  });

  it('names a missing required field', () => {
    expect(problemsOf({})).toEqual(['kioskId: required, got nothing']);
  });

  it('names an out-of-range number with the allowed range', () => {
    expect(problemsOf({ ...ok, devices: { cashAcceptor: { pollIntervalMs: 500 } } })).toEqual([
      'devices.cashAcceptor.pollIntervalMs: expected an integer from 100 to 200 (from 10 on a sim: port), got 500',
    ]);
    expect(problemsOf({ ...ok, fleet: { reconnect: { jitter: 1.5 } } })).toEqual([
      'fleet.reconnect.jitter: expected a number from 0 to 1, got 1.5',
    ]);
  });

  it('lists the allowed values of an enum', () => {
    expect(problemsOf({ ...ok, log: { level: 'verbose' } })).toEqual([
      'log.level: expected one of "trace", "debug", "info", "warn", "error", got "verbose"',
    ]);
    expect(problemsOf({ ...ok, devices: { cashAcceptor: { protocol: 'ssp' } } })).toEqual([
      'devices.cashAcceptor.protocol: expected "id003", got "ssp"',
    ]);
  });

  it('rejects a port that is neither a simulator, a /dev path nor a COM port', () => {
    expect(problemsOf({ ...ok, devices: { cashAcceptor: { port: 'ttyUSB0' } } })).toEqual([
      'devices.cashAcceptor.port: expected an absolute serial device path ("/dev/serial/by-id/..." or "COM<n>") or "sim:<kind>" such as "sim:id003", got "ttyUSB0"',
    ]);
    for (const port of ['/dev/ttyUSB0', 'COM3', 'sim:id003', '/dev/serial/by-id/usb-JCM_UBA-if00-port0']) {
      expect(parseConfig({ ...ok, devices: { cashAcceptor: { port } } }, 't').devices.cashAcceptor.port).toBe(
        port,
      );
    }
  });

  it('rejects a kiosk id that could not be an MQTT topic level', () => {
    expect(problemsOf({ kioskId: 'a/b' })).toEqual([
      'kioskId: expected 1 to 64 letters, digits, "_" or "-", starting with a letter or digit, got "a/b"',
    ]);
  });

  it('requires a CA for mqtts:// and cert and key together', () => {
    expect(problemsOf({ ...ok, fleet: { broker: { url: 'mqtts://fleet.example.net:8883' } } })).toEqual([
      'fleet.broker.ca: required when url is mqtts:// (the CA that signed the broker certificate), got nothing',
    ]);
    expect(
      problemsOf({
        ...ok,
        fleet: { broker: { url: 'mqtts://fleet.example.net', ca: 'ca.pem', cert: 'kiosk.crt' } },
      }),
    ).toEqual(['fleet.broker.key: required when cert is set (cert and key go together), got nothing']);
    expect(
      problemsOf({ ...ok, fleet: { broker: { url: 'wss://fleet.example.net/mqtt', key: 'k.pem' } } }),
    ).toEqual(['fleet.broker.cert: required when key is set (cert and key go together), got nothing']);
    expect(
      problemsOf({ ...ok, fleet: { broker: { url: 'mqtt://fleet.example.net', ca: 'ca.pem' } } }),
    ).toEqual(['fleet.broker.ca: expected nothing unless url is mqtts:// or wss://, got "ca.pem"']);
    expect(problemsOf({ ...ok, fleet: { broker: { url: 'http://fleet.example.net' } } })).toEqual([
      'fleet.broker.url: expected "embedded" or a mqtt://, mqtts://, ws:// or wss:// URL, got "http://fleet.example.net"',
    ]);
  });

  it('rejects a fleet key that is not an Ed25519 public key, saying what it is', () => {
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519');
    const privatePem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const at = 'fleet.commands.publicKeys[0].key';
    const withKey = (key: string) => ({ ...ok, fleet: { commands: { publicKeys: [{ id: 'ops', key }] } } });
    expect(problemsOf(withKey(x25519))).toEqual([
      `${at}: ${ED25519_EXPECTED}, got a public key of type X25519`,
    ]);
    expect(problemsOf(withKey(privatePem))).toEqual([
      `${at}: ${ED25519_EXPECTED}, got a private key (it must never be on a kiosk; paste the public half)`,
    ]);
    expect(problemsOf(withKey(Buffer.alloc(16, 1).toString('base64')))).toEqual([
      `${at}: ${ED25519_EXPECTED}, got base64 of 16 bytes`,
    ]);
    expect(problemsOf(withKey('not a key'))).toEqual([
      `${at}: ${ED25519_EXPECTED}, got text that is neither PEM nor base64`,
    ]);

    const raw = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
    const der = ed.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const pem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const key of [raw, der, pem])
      expect(parseConfig(withKey(key), 't').fleet.commands.publicKeys).toHaveLength(1);
  });

  it('rejects a denomination override that is not one of the currency denominations', () => {
    expect(
      problemsOf({
        ...ok,
        devices: { cashAcceptor: { denominationOverride: { '0x61': 100, '0x62': 300 } } },
      }),
    ).toEqual([
      'devices.cashAcceptor.denominationOverride.0x62: expected one of currency.denominations (100, 500, 1000, 2000, 5000, 10000), got 300',
    ]);
    expect(
      problemsOf({ ...ok, devices: { cashAcceptor: { denominationOverride: { '0x69': 100 } } } }),
    ).toEqual([
      'devices.cashAcceptor.denominationOverride.0x69: unknown key (expected one of "0x61", "0x62", "0x63", "0x64", "0x65", "0x66", "0x67", "0x68")',
    ]);
  });

  it('checks the other cross-field rules', () => {
    expect(problemsOf({ ...ok, limits: { maxPerTransaction: 600_000 } })).toEqual([
      'limits.maxPerTransaction: expected at most maxPerAccountPerDay (500000), got 600000',
    ]);
    expect(
      problemsOf({
        ...ok,
        devices: { cashAcceptor: { reconnect: { initialDelayMs: 500, maxDelayMs: 100 } } },
      }),
    ).toEqual(['devices.cashAcceptor.reconnect.maxDelayMs: expected at least initialDelayMs (500), got 100']);
    expect(problemsOf({ ...ok, currency: { denominations: [100, 500, 500] } })).toEqual([
      'currency.denominations[2]: expected more than the denomination before it (500): list them in increasing order, each once, got 500',
    ]);
    expect(
      problemsOf({
        ...ok,
        transaction: { accountCheck: { enabled: true, url: 'ftp://accounts.example.net' } },
      }),
    ).toEqual([
      'transaction.accountCheck.url: expected an http:// or https:// URL, got "ftp://accounts.example.net"',
    ]);
    expect(problemsOf({ ...ok, transaction: { accountCheck: { enabled: true } } })).toEqual([
      'transaction.accountCheck.url: required when enabled is true, got nothing',
    ]);
    expect(
      problemsOf({
        ...ok,
        devices: { cashAcceptor: { port: '/dev/ttyUSB0' }, printer: { enabled: true, port: '/dev/ttyUSB0' } },
      }),
    ).toEqual([
      'devices.printer.port: expected a port not already used by devices.cashAcceptor, got "/dev/ttyUSB0"',
    ]);
    expect(problemsOf({ ...ok, devices: { printer: { enabled: true, port: 'sim:id003' } } })).toEqual([
      'devices.printer.port: expected "sim:escpos" for a simulated ESC/POS printer, got "sim:id003"',
    ]);
    expect(problemsOf({ ...ok, devices: { printer: { enabled: true, protocol: 'star' } } })).toEqual([
      'devices.printer.protocol: expected "escpos", got "star"',
    ]);
    expect(problemsOf({ ...ok, devices: { printer: { required: true } } })).toEqual([
      'devices.printer.enabled: expected true when required is true, got false',
    ]);
    expect(problemsOf({ ...ok, fleet: { topicPrefix: 'kiosk/v1/' } })).toEqual([
      'fleet.topicPrefix: expected topic levels joined by "/", without a leading or trailing "/", spaces, "+" or "#", got "kiosk/v1/"',
    ]);
  });

  it('never repeats a secret value in a problem line', () => {
    expect(problemsOf({ ...ok, fleet: { broker: { password: 12_345_678 } } })).toEqual([
      'fleet.broker.password: expected a non-empty string, got a number (hidden)',
    ]);
  });

  it('reports every problem at once, in document order, one line each', () => {
    const raw = {
      log: { levle: 'debug' },
      devices: { cashAcceptor: { retries: 'three', pollIntervalMs: 5 } },
      api: { port: 70_000 },
    };
    expect(problemsOf(raw)).toEqual([
      'log.levle: unknown key (did you mean "level"?)',
      'devices.cashAcceptor.retries: expected an integer from 0 to 10, got "three"',
      'devices.cashAcceptor.pollIntervalMs: expected an integer from 100 to 200 (from 10 on a sim: port), got 5',
      'api.port: expected an integer from 0 to 65535, got 70000',
      'kioskId: required, got nothing',
    ]);
  });
});
