import type { PinBlockFormat } from '../../simulators/epp/crypto/index.js';
import type { Logger } from '../log.js';
import type { AccountStore, CreditResult } from './account-store.js';
import type { PinVerifier } from './pin-verifier.js';

/**
 * What the account service does, apart from HTTP: balance queries checked by the HSM with a
 * lockout after too many wrong passwords, the account check the top-up uses, and crediting
 * the fleet ledger's payments once each. Queries on one account run one at a time, so a
 * guesser cannot get more tries in by asking in parallel.
 */

export interface LockoutPolicy {
  /** Wrong passwords in a row that lock the account's kiosk queries (3). */
  maxWrongTries: number;
  lockMs: number;
}

export interface BalanceQuery {
  account: string;
  format: PinBlockFormat;
  pinBlock: Uint8Array;
  ksn: Uint8Array;
}

export type BalanceAnswer =
  | { result: 'balance'; balanceFen: number }
  | { result: 'wrongPin'; triesLeft: number }
  | { result: 'locked'; until: string }
  | { result: 'unknownAccount' }
  /** Not the customer's doing: the block or KSN cannot be one of our pads' (a 400, no try counted). */
  | { result: 'malformed'; field: 'pinBlock' | 'ksn' | 'format' | 'account' };

export interface AccountServiceOptions {
  store: AccountStore;
  verifier: PinVerifier;
  lockout: LockoutPolicy;
  /** The service's day for `dailyTotalSoFar` starts at local midnight at this UTC offset (480: China). */
  utcOffsetMinutes: number;
  logger: Logger;
  clock?: () => Date;
}

export class AccountService {
  readonly store: AccountStore;
  private readonly verifier: PinVerifier;
  private readonly lockout: LockoutPolicy;
  private readonly utcOffsetMinutes: number;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly queue = new Map<string, Promise<unknown>>();

  constructor(options: AccountServiceOptions) {
    this.store = options.store;
    this.verifier = options.verifier;
    this.lockout = options.lockout;
    this.utcOffsetMinutes = options.utcOffsetMinutes;
    this.logger = options.logger.child({ component: 'account-service' });
    this.clock = options.clock ?? (() => new Date());
  }

  /** Runs `task` after every earlier task on the same account. */
  private serialised<T>(account: string, task: () => Promise<T>): Promise<T> {
    const before = this.queue.get(account) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.queue.set(account, settled);
    void settled.then(() => {
      if (this.queue.get(account) === settled) this.queue.delete(account);
    });
    return run;
  }

  balanceQuery(query: BalanceQuery): Promise<BalanceAnswer> {
    return this.serialised(query.account, () => this.answer(query));
  }

  private async answer(query: BalanceQuery): Promise<BalanceAnswer> {
    const record = this.store.get(query.account);
    if (record === undefined) return { result: 'unknownAccount' };
    const now = this.clock();
    if (record.lockedUntil !== null && Date.parse(record.lockedUntil) > now.getTime()) {
      this.logger.info({ account: query.account }, 'balance query refused: account locked');
      return { result: 'locked', until: record.lockedUntil };
    }
    const verdict = await this.verifier.verify({ ...query, passwordHash: record.passwordHash });
    if (verdict.kind === 'malformed') {
      this.logger.warn(
        { account: query.account, format: query.format, field: verdict.field },
        'balance query with a PIN block or KSN no pad of ours made; no try counted',
      );
      return { result: 'malformed', field: verdict.field };
    }
    if (verdict.kind === 'match') {
      this.store.resetTries(query.account);
      const balanceFen = this.store.get(query.account)?.balanceFen ?? record.balanceFen;
      this.logger.info({ account: query.account }, 'balance query answered');
      return { result: 'balance', balanceFen };
    }
    const lockUntil = new Date(this.clock().getTime() + this.lockout.lockMs).toISOString();
    const after = this.store.recordWrongTry(query.account, this.lockout.maxWrongTries, lockUntil);
    if (after.lockedUntil !== null) {
      this.logger.warn(
        { account: query.account, until: after.lockedUntil },
        'wrong service password: account locked for kiosk queries',
      );
      return { result: 'locked', until: after.lockedUntil };
    }
    const triesLeft = this.lockout.maxWrongTries - after.wrongTries;
    this.logger.info({ account: query.account, triesLeft }, 'wrong service password');
    return { result: 'wrongPin', triesLeft };
  }

  /** The top-up's account check: known or not, and what was credited to it today. */
  accountCheck(account: string): { ok: true; dailyTotalSoFar: number } | undefined {
    if (this.store.get(account) === undefined) return undefined;
    return { ok: true, dailyTotalSoFar: this.store.creditedSince(account, this.startOfDay()) };
  }

  /** Local midnight at the service's UTC offset, as an ISO time. */
  private startOfDay(): string {
    const offsetMs = this.utcOffsetMinutes * 60_000;
    const local = this.clock().getTime() + offsetMs;
    const midnight = local - (((local % 86_400_000) + 86_400_000) % 86_400_000);
    return new Date(midnight - offsetMs).toISOString();
  }

  /** Credits a fleet payment once; the same paymentId again answers credited: false. */
  credit(paymentId: string, account: string, amountFen: number): CreditResult {
    const result = this.store.credit(paymentId, account, amountFen, this.clock().toISOString());
    if ('unknownAccount' in result) {
      this.logger.warn({ paymentId, account }, 'payment for an account this service does not hold');
    } else if (result.credited) {
      this.logger.info({ paymentId, account, amountFen }, 'payment credited');
    }
    return result;
  }

  close(): void {
    this.verifier.close();
    this.store.close();
  }
}
