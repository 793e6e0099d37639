import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { ErrorCode, KioskError } from '../../core/errors.js';

/**
 * Service passwords are kept as salted scrypt hashes, never clear, in one self-describing
 * string: `scrypt$N=16384,r=8,p=1$<salt, base64>$<hash, base64>`. The parameters travel with
 * the hash, so raising the cost later leaves the old hashes checkable.
 */

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 16 MiB and some tens of ms per check: slow for a guesser, quick enough for a kiosk query. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 16384, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const HASH_PATTERN = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
/** Chinese service passwords are 6 digits; some operators allow up to 12 (ISO 9564's maximum). */
export const SERVICE_PASSWORD_PATTERN = /^[0-9]{6,12}$/;

export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function scryptAsync(secret: Buffer, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Why a stored hash string is not one, or undefined when it is. */
export function passwordHashProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return 'expected a scrypt hash string';
  const match = HASH_PATTERN.exec(text);
  if (match === null) return 'expected scrypt$N=<n>,r=<r>,p=<p>$<salt base64>$<hash base64>';
  const N = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0) return 'N must be a power of 2 from 1024 to 1048576';
  if (r < 1 || r > 32 || p < 1 || p > 16) return 'r must be 1 to 32 and p 1 to 16';
  if (Buffer.from(match[4]!, 'base64').length < 8) return 'the salt must be at least 8 bytes';
  if (Buffer.from(match[5]!, 'base64').length < 16) return 'the hash must be at least 16 bytes';
  return undefined;
}

export function parsePasswordHash(text: string): ParsedPasswordHash {
  const problem = passwordHashProblem(text);
  const match = HASH_PATTERN.exec(text);
  if (problem !== undefined || match === null) {
    throw new KioskError(ErrorCode.ConfigInvalid, `password hash: ${problem ?? 'unreadable'}`);
  }
  return {
    params: { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) },
    salt: Buffer.from(match[4]!, 'base64'),
    hash: Buffer.from(match[5]!, 'base64'),
  };
}

/** Hashes a service password; the caller's buffer is wiped once hashed. */
export async function hashServicePassword(
  password: Buffer,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  try {
    const hash = await scryptAsync(password, salt, HASH_BYTES, params);
    const text = `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
    hash.fill(0);
    return text;
  } finally {
    password.fill(0);
  }
}

/** Whether `candidate` is the password `stored` was made from; the candidate buffer is wiped. */
export async function verifyServicePassword(candidate: Buffer, stored: string): Promise<boolean> {
  const { params, salt, hash } = parsePasswordHash(stored);
  try {
    const derived = await scryptAsync(candidate, salt, hash.length, params);
    const same = timingSafeEqual(derived, hash);
    derived.fill(0);
    return same;
  } finally {
    candidate.fill(0);
  }
}
