import { createCipheriv, createDecipheriv } from 'node:crypto';
import { requireBytes } from './bytes.js';

/*
 * Single-block ECB primitives on node:crypto. OpenSSL 3 keeps plain `des-ecb` in the legacy
 * provider only, so single DES runs as two-key TDES with K‖K (E_K D_K E_K = E_K).
 */

function ecb(algorithm: string, key: Uint8Array, block: Uint8Array, encrypt: boolean): Uint8Array {
  const cipher = encrypt ? createCipheriv(algorithm, key, null) : createDecipheriv(algorithm, key, null);
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(block), cipher.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function encryptDesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  requireBytes(key, 8, 'DES key');
  requireBytes(block, 8, 'DES block');
  const doubled = new Uint8Array(16);
  doubled.set(key);
  doubled.set(key, 8);
  const out = ecb('des-ede-ecb', doubled, block, true);
  doubled.fill(0);
  return out;
}

/** Two-key TDES (K1‖K2), the DUKPT TDES cipher. */
export function encryptTdesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  requireBytes(key, 16, 'TDES key');
  requireBytes(block, 8, 'TDES block');
  return ecb('des-ede-ecb', key, block, true);
}

export function decryptTdesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  requireBytes(key, 16, 'TDES key');
  requireBytes(block, 8, 'TDES block');
  return ecb('des-ede-ecb', key, block, false);
}

export function encryptAesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  requireBytes(key, 16, 'AES-128 key');
  requireBytes(block, 16, 'AES block');
  return ecb('aes-128-ecb', key, block, true);
}

export function decryptAesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  requireBytes(key, 16, 'AES-128 key');
  requireBytes(block, 16, 'AES block');
  return ecb('aes-128-ecb', key, block, false);
}
