import type { KioskConfig } from '../config/index.js';
import { ErrorCode, KioskError } from '../errors.js';

/** What the account lookup service said about a number. */
export interface AccountCheckResult {
  ok: boolean;
  /** What the account was already topped up today elsewhere, when the service knows (fen). */
  dailyTotalSoFar?: number;
}

export type AccountChecker = (account: string, signal?: AbortSignal) => Promise<AccountCheckResult>;

/**
 * The optional online account lookup: GET `<url>?account=<number>` answering
 * `{ "ok": boolean, "dailyTotalSoFar"?: integer fen }`. A 404 means the number is unknown (not ok).
 * Anything else that is not a clean answer in time throws, and the top-up machine applies the
 * configured offline policy: the lookup is advice, never a reason to wait on the network longer.
 */
export function httpAccountChecker(section: KioskConfig['transaction']['accountCheck']): AccountChecker {
  const base = section.url;
  if (base === undefined) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      'transaction.accountCheck.url: required when enabled is true',
      {
        details: { field: 'transaction.accountCheck.url' },
      },
    );
  }
  return async (account, signal) => {
    const url = new URL(base);
    url.searchParams.set('account', account);
    const timeout = AbortSignal.timeout(section.timeoutMs);
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (response.status === 404) return { ok: false };
    if (!response.ok) {
      throw new KioskError(ErrorCode.ApiInternal, `account check answered HTTP ${response.status}`, {
        details: { status: response.status },
      });
    }
    const body: unknown = await response.json();
    const ok = (body as { ok?: unknown } | null)?.ok;
    const total = (body as { dailyTotalSoFar?: unknown } | null)?.dailyTotalSoFar;
    if (
      typeof ok !== 'boolean' ||
      (total !== undefined && (!Number.isSafeInteger(total) || (total as number) < 0))
    ) {
      throw new KioskError(
        ErrorCode.ApiInternal,
        'account check answered something other than {ok: boolean, dailyTotalSoFar?: integer >= 0}',
      );
    }
    return total === undefined ? { ok } : { ok, dailyTotalSoFar: total as number };
  };
}
