import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';

const ERRNO_NAME = /^E[A-Z0-9]+$/;

/**
 * The OS error name (`ENOENT`, `EACCES`, `ENOTTY`…) for a port that would not open, or
 * undefined when it cannot be told. node-serialport's native binding reports the errno only
 * inside its message text, which is never matched; so a binding error without a `code` is
 * followed by a look at the path itself, with stat and access only: opening a tty to find out
 * could disturb whatever holds it.
 */
export async function openFailureErrno(path: string, error: unknown): Promise<string | undefined> {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ERRNO_NAME.test(code)) return code;
  // `sim:…` and other names that are not files say nothing on the filesystem.
  if (!isAbsolute(path)) return undefined;
  try {
    const found = await stat(path);
    if (found.isDirectory()) return 'EISDIR';
    if (!found.isCharacterDevice()) return 'ENOTTY';
    await access(path, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (probeError) {
    const probeCode = (probeError as NodeJS.ErrnoException).code;
    return typeof probeCode === 'string' && ERRNO_NAME.test(probeCode) ? probeCode : undefined;
  }
}
