import type { Journal } from '../journal/journal.js';
import { hashServicePassword, verifyServicePassword } from '../security/password-hash.js';
import type { TechnicianConfig } from './service-mode-config.js';
import { TECHNICIAN_ID_PATTERN } from './service-mode-config.js';
import type { TechnicianLockouts } from './technician-lockouts.js';

export type LoginOutcome =
  | { ok: true; technician: string }
  | { ok: false; reason: 'badCredentials'; failures?: number }
  | { ok: false; reason: 'locked'; lockedUntil: string };

/** Bounds a password before it is hashed: scrypt on a megabyte is a cheap denial of service. */
export const MAX_PASSWORD_BYTES = 128;

/**
 * Checks a technician's id and password. Every attempt is audited with the id it named. An
 * unknown id costs the same scrypt as a known one and gets the same answer, so neither timing
 * nor the reply tells a guesser which ids exist; the hash comparison itself is constant-time.
 */
export class TechnicianAuth {
  readonly #technicians: ReadonlyMap<string, string>;
  readonly #journal: Journal;
  readonly #lockouts: TechnicianLockouts;
  readonly #now: () => number;
  #decoy: Promise<string> | undefined;

  constructor(options: {
    technicians: readonly TechnicianConfig[];
    journal: Journal;
    lockouts: TechnicianLockouts;
    now?: () => number;
  }) {
    this.#technicians = new Map(options.technicians.map((t) => [t.id, t.passwordHash]));
    this.#journal = options.journal;
    this.#lockouts = options.lockouts;
    this.#now = options.now ?? Date.now;
  }

  async login(id: string, password: Buffer, via: string): Promise<LoginOutcome> {
    try {
      const validId = TECHNICIAN_ID_PATTERN.test(id);
      const actor = validId ? `technician:${id}` : 'technician:?';
      const lockedUntil = this.#lockouts.lockedUntil(id, this.#now());
      if (lockedUntil !== undefined) {
        const until = new Date(lockedUntil).toISOString();
        this.#journal.audit.append(actor, 'service.login', { outcome: 'locked', via, lockedUntil: until });
        return { ok: false, reason: 'locked', lockedUntil: until };
      }
      const stored = validId ? this.#technicians.get(id) : undefined;
      const hash = stored ?? (await this.#decoyHash());
      const matches =
        password.length <= MAX_PASSWORD_BYTES && (await verifyServicePassword(Buffer.from(password), hash));
      if (stored !== undefined && matches) {
        this.#lockouts.recordSuccess(id);
        this.#journal.audit.append(actor, 'service.login', { outcome: 'ok', via });
        return { ok: true, technician: id };
      }
      if (stored === undefined) {
        this.#journal.audit.append('technician:?', 'service.login', {
          outcome: 'unknownTechnician',
          via,
          technician: id.slice(0, 32),
        });
        return { ok: false, reason: 'badCredentials' };
      }
      const failure = this.#lockouts.recordFailure(id, this.#now());
      if (failure.lockedUntil !== undefined) {
        const until = new Date(failure.lockedUntil).toISOString();
        this.#journal.audit.append(actor, 'service.login', {
          outcome: 'wrongPasswordLocked',
          via,
          lockedUntil: until,
        });
        return { ok: false, reason: 'locked', lockedUntil: until };
      }
      this.#journal.audit.append(actor, 'service.login', {
        outcome: 'wrongPassword',
        via,
        failures: failure.failures,
      });
      return { ok: false, reason: 'badCredentials', failures: failure.failures };
    } finally {
      password.fill(0);
    }
  }

  /** A hash of random bytes, made once, to spend an unknown id's check on. */
  #decoyHash(): Promise<string> {
    this.#decoy ??= hashServicePassword(Buffer.from(crypto.getRandomValues(new Uint8Array(16))));
    return this.#decoy;
  }
}
