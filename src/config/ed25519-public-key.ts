import { createPublicKey, type KeyObject } from 'node:crypto';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Fleet command signing keys as an operator pastes them: a PEM "PUBLIC KEY" block, or the
 * base64 of the 32 raw key bytes (what most fleet tooling prints). Both end up as the same
 * KeyObject, which the command verifier hands to crypto.verify.
 */

export const ED25519_KEY_EXPECTATION =
  'expected an Ed25519 public key (PEM "-----BEGIN PUBLIC KEY-----" or base64 of its 32 raw bytes)';

export type PublicKeyReading = { ok: true; key: KeyObject } | { ok: false; found: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads a key without throwing; `found` describes what the text was instead, for an error line. */
export function readEd25519PublicKey(text: string): PublicKeyReading {
  const trimmed = text.trim();
  if (trimmed.includes('PRIVATE KEY')) {
    return { ok: false, found: 'a private key (it must never be on a kiosk; paste the public half)' };
  }
  if (trimmed.startsWith('-----BEGIN')) return readPem(trimmed);
  if (BASE64.test(trimmed)) return readRawBase64(trimmed);
  return { ok: false, found: 'text that is neither PEM nor base64' };
}

function readPem(pem: string): PublicKeyReading {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return { ok: false, found: 'a PEM block that does not parse as a public key' };
  }
  return onlyEd25519(key);
}

function readRawBase64(text: string): PublicKeyReading {
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from ignores trailing garbage; a round trip proves the text was clean base64.
  if (bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    return { ok: false, found: 'malformed base64' };
  }
  if (bytes.length !== 32) return readDer(bytes);
  try {
    return {
      ok: true,
      key: createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') },
        format: 'jwk',
      }),
    };
  } catch {
    return { ok: false, found: '32 bytes that are not an Ed25519 public key' };
  }
}

function readDer(bytes: Buffer): PublicKeyReading {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch {
    return { ok: false, found: `base64 of ${bytes.length} bytes` };
  }
  return onlyEd25519(key);
}

function onlyEd25519(key: KeyObject): PublicKeyReading {
  if (key.asymmetricKeyType === 'ed25519') return { ok: true, key };
  return {
    ok: false,
    found: `a public key of type ${String(key.asymmetricKeyType ?? 'unknown').toUpperCase()}`,
  };
}

/** For the fleet command verifier: the KeyObject of a configured key, or ConfigInvalid naming the problem. */
export function parseEd25519PublicKey(text: string, where = 'key'): KeyObject {
  const reading = readEd25519PublicKey(text);
  if (!reading.ok) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      `${where}: ${ED25519_KEY_EXPECTATION}, got ${reading.found}`,
      {
        details: { problems: [`${where}: ${ED25519_KEY_EXPECTATION}, got ${reading.found}`] },
      },
    );
  }
  return reading.key;
}
