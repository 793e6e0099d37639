import { ErrorCode, isKioskError, KioskError } from '../../core/errors.js';

/** The errno of a failed listen, wherever the failing module put it (the error, its cause, its details). */
function errnoOf(error: unknown): string | undefined {
  for (let at: unknown = error, depth = 0; at !== undefined && at !== null && depth < 4; depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    if (isKioskError(at) && typeof at.details?.['errno'] === 'string') return at.details['errno'];
    at = (at as Error).cause;
  }
  return undefined;
}

/**
 * A port the daemon could not listen on, as the one line an operator acts on: the config field
 * that chose it, the port and why. Errors that are not about the address are returned unchanged.
 */
export function listenRefusal(
  error: unknown,
  listener: { field: string; host: string; port: number },
): unknown {
  const { field, host, port } = listener;
  const errno = errnoOf(error);
  const why =
    errno === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use by another program (another kioskd?); stop it or choose another port`
      : errno === 'EADDRNOTAVAIL'
        ? `${host} is not an address of this machine (port ${port})`
        : errno === 'EACCES'
          ? `permission denied for port ${port} on ${host} (ports below 1024 need privileges)`
          : undefined;
  if (why === undefined) return error;
  return new KioskError(ErrorCode.ConfigListenFailed, `${field}: ${why}`, {
    cause: error,
    details: { field, host, port, errno },
  });
}
