import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KioskError } from '../../core/errors.js';

/** The file under dataDir the screen (and the README's curl sequence) reads the token from. */
export const API_TOKEN_FILE = 'api-token';
const TOKEN_BYTES = 32;

/**
 * Makes this boot's API token and writes it to `<dataDir>/api-token`, readable by the daemon's
 * user only. A new token each boot: a token read once (by a program that should not have) is
 * worth nothing after the next restart. Written to a temporary name and renamed, so a reader
 * never sees a half-written token. No directory sync: a token lost to a power cut is replaced
 * at the next boot anyway.
 */
export function writeApiToken(dataDir: string): { token: string; path: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const path = join(dataDir, API_TOKEN_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    // A leftover temporary file may have another mode; 'wx' then creates it with ours.
    rmSync(temp, { force: true });
    const fd = openSync(temp, 'wx', 0o600);
    try {
      // The umask cannot widen 0600, but an odd one could narrow it to unreadable for us.
      fchmodSync(fd, 0o600);
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new KioskError(ErrorCode.ApiTokenFile, `cannot write the kiosk API token to ${path}`, {
      cause: error,
      details: { path },
    });
  }
  return { token, path };
}

/**
 * Whether `presented` is `token`, in time that does not depend on where they differ (both are
 * hashed first, so their lengths do not show either).
 */
export function tokenMatches(presented: string, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token));
}
