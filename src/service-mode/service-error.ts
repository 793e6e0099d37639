/**
 * A refusal or failure a technician sees: a stable code for scripts and a sentence naming what
 * was wrong. Nothing has changed when one is thrown before an action starts.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one step of a command; a failure comes back as the technician's error with `code` and
 * what was being done. A ServiceError already says what it should and passes through unchanged.
 */
export async function failingAs<T>(code: string, what: string, step: () => Promise<T> | T): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError(code, `${what}: ${errorText(error)}`);
  }
}
