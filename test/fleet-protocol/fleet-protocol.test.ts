import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  commandEnvelopeSchema,
  fleetWildcard,
  generateFleetKeyPair,
  kioskTopics,
  parseKioskTopic,
  publicKeyOf,
  readPrivateKeyPem,
  sharedSubscription,
  signCommand,
  type UnsignedCommand,
  verifyCommandSignature,
} from '../../src/fleet-protocol/index.js';

const command: UnsignedCommand = {
  cmdId: 'cmd-0001-abcdef',
  kioskId: 'k-001',
  action: 'setMode',
  args: { mode: 'outOfService' },
  issuedAt: '2026-11-25T03:00:00.000Z',
  expiresAt: '2026-11-25T03:05:00.000Z',
};

describe('topics', () => {
  it('builds the DESIGN.md topics', () => {
    expect(kioskTopics('k-001')).toEqual({
      status: 'kiosk/v1/k-001/status',
      health: 'kiosk/v1/k-001/health',
      alert: 'kiosk/v1/k-001/alert',
      alerts: 'kiosk/v1/k-001/alerts',
      payment: 'kiosk/v1/k-001/payment',
      paymentAck: 'kiosk/v1/k-001/payment/ack',
      collection: 'kiosk/v1/k-001/collection',
      event: 'kiosk/v1/k-001/event',
      cmd: 'kiosk/v1/k-001/cmd',
      cmdResult: 'kiosk/v1/k-001/cmd/result',
    });
    expect(sharedSubscription('ledger', fleetWildcard('payment'))).toBe('$share/ledger/kiosk/v1/+/payment');
  });

  it('refuses a kiosk id that is not one topic level', () => {
    for (const bad of ['a/b', 'a+', '#', '', 'a b']) expect(() => kioskTopics(bad)).toThrow(TypeError);
  });

  it('parses topics back, and only ours', () => {
    expect(parseKioskTopic('kiosk/v1/k-9/payment/ack')).toEqual({ kioskId: 'k-9', kind: 'payment/ack' });
    expect(parseKioskTopic('kiosk/v1/k-9/cmd/result')).toEqual({ kioskId: 'k-9', kind: 'cmd/result' });
    expect(parseKioskTopic('kiosk/v1/k-9/alerts')).toEqual({ kioskId: 'k-9', kind: 'alerts' });
    expect(parseKioskTopic('kiosk/v1/k-9/other')).toBeUndefined();
    expect(parseKioskTopic('other/v1/k-9/status')).toBeUndefined();
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('refuses floats and non-JSON values rather than guessing', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(TypeError);
  });

  const onlySafeIntegers = (v: unknown): boolean =>
    typeof v === 'number'
      ? Number.isSafeInteger(v)
      : Array.isArray(v)
        ? v.every(onlySafeIntegers)
        : v !== null && typeof v === 'object'
          ? Object.values(v).every(onlySafeIntegers)
          : true;

  test.prop([fc.jsonValue().filter(onlySafeIntegers)])(
    'is independent of key order and parses back to the same value',
    (value) => {
      const text = canonicalJson(value);
      expect(canonicalJson(JSON.parse(text))).toBe(text);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    },
  );
});

describe('command signatures', () => {
  const pair = generateFleetKeyPair();
  const privateKey = readPrivateKeyPem(pair.privateKeyPem);
  const keys = [{ id: 'fleet-1', key: publicKeyOf(privateKey) }];

  it('a signed envelope verifies against its key and is schema-valid', () => {
    const envelope = signCommand(command, privateKey);
    expect(commandEnvelopeSchema.parse(envelope)).toEqual(envelope);
    expect(verifyCommandSignature(envelope, keys)).toBe('fleet-1');
  });

  it('any changed field breaks the signature', () => {
    const envelope = signCommand(command, privateKey);
    for (const changed of [
      { ...envelope, kioskId: 'k-002' },
      { ...envelope, action: 'rebirth' },
      { ...envelope, args: { mode: 'inService' } },
      { ...envelope, expiresAt: '2026-11-25T04:05:00.000Z' },
      { ...envelope, cmdId: 'cmd-0002-abcdef' },
    ]) {
      expect(verifyCommandSignature(changed, keys)).toBeUndefined();
    }
  });

  it('another key, a truncated or non-base64 signature does not verify', () => {
    const other = readPrivateKeyPem(generateFleetKeyPair().privateKeyPem);
    expect(verifyCommandSignature(signCommand(command, other), keys)).toBeUndefined();
    const envelope = signCommand(command, privateKey);
    expect(verifyCommandSignature({ ...envelope, sig: envelope.sig.slice(0, 40) }, keys)).toBeUndefined();
    expect(verifyCommandSignature({ ...envelope, sig: '!!!not base64!!!' }, keys)).toBeUndefined();
  });
});
