/**
 * Polls `check` until it holds. It waits for a condition, never for a speed: the default leaves
 * room for a loaded 2-core CI machine (the crash harness runs beside the suite), and a condition
 * that never comes still fails, naming what was awaited.
 */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
