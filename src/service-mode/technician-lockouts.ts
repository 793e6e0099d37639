import type { Journal } from '../journal/journal.js';

/** The journal snapshot key holding failed logins and locks, so a restart does not reset them. */
export const TECHNICIAN_LOCKOUTS_SNAPSHOT = 'technicianLockouts';
const SNAPSHOT_VERSION = 1;

interface LockoutEntry {
  failures: number;
  /** Epoch ms until which the id is locked; 0 when it is not. */
  lockedUntil: number;
}

/**
 * Failed logins per technician id, kept in the journal. Only configured ids are counted, so a
 * guesser cycling through invented ids cannot grow the record (the socket's rate limit bounds them).
 */
export class TechnicianLockouts {
  readonly #journal: Journal;
  readonly #maxFailures: number;
  readonly #lockMs: number;
  readonly #entries = new Map<string, LockoutEntry>();

  constructor(options: { journal: Journal; maxFailures: number; lockMs: number }) {
    this.#journal = options.journal;
    this.#maxFailures = options.maxFailures;
    this.#lockMs = options.lockMs;
    const saved = options.journal.snapshots.get(TECHNICIAN_LOCKOUTS_SNAPSHOT)?.snapshot['ids'];
    if (typeof saved === 'object' && saved !== null) {
      for (const [id, value] of Object.entries(saved as Record<string, unknown>)) {
        const entry = value as Partial<LockoutEntry>;
        if (Number.isInteger(entry.failures) && Number.isInteger(entry.lockedUntil)) {
          this.#entries.set(id, { failures: entry.failures!, lockedUntil: entry.lockedUntil! });
        }
      }
    }
  }

  /** Epoch ms the id stays locked until, or undefined when it may log in now. */
  lockedUntil(id: string, now: number): number | undefined {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.lockedUntil > now ? entry.lockedUntil : undefined;
  }

  /** Counts a failure; answers the lock's end when this failure locked the id. */
  recordFailure(id: string, now: number): { failures: number; lockedUntil: number | undefined } {
    // Consecutive failures: a success deletes the entry, and a lock starts the count again from zero.
    const failures = (this.#entries.get(id)?.failures ?? 0) + 1;
    const locked = failures >= this.#maxFailures;
    const entry = { failures: locked ? 0 : failures, lockedUntil: locked ? now + this.#lockMs : 0 };
    this.#entries.set(id, entry);
    this.#save();
    return { failures, lockedUntil: locked ? entry.lockedUntil : undefined };
  }

  recordSuccess(id: string): void {
    if (!this.#entries.has(id)) return;
    this.#entries.delete(id);
    this.#save();
  }

  #save(): void {
    this.#journal.snapshots.save(TECHNICIAN_LOCKOUTS_SNAPSHOT, {
      version: SNAPSHOT_VERSION,
      snapshot: { ids: Object.fromEntries(this.#entries) },
    });
  }
}
