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
