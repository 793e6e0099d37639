import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readBoundedBody } from '../../core/read-bounded-body.js';
import type { KioskConfig } from '../config/index.js';

/** An answer is a few dozen bytes; anything past this is not the lookup service talking. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * GET over node:http(s), not fetch: fetch is undici, which parses HTTP with a WebAssembly build
 * of llhttp, and the daemon runs with --jitless (seeds/systemd/kioskd.service: ~18 MB less RSS),
 * where WebAssembly does not exist and fetch throws out of the event loop. node:http uses the
 * llhttp compiled into node.
 */
function get(url: URL, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers: { accept: 'application/json' }, signal },
      (response) => {
        response.on('close', () => {
          if (!response.complete) reject(signal.reason ?? new Error('account check answer cut short'));
        });
        const tooLarge = () =>
          new KioskError(ErrorCode.ApiInternal, `account check answered more than ${MAX_ANSWER_BYTES} bytes`);
        readBoundedBody(response, MAX_ANSWER_BYTES, tooLarge).then(
          (text) => resolve({ status: response.statusCode ?? 0, text }),
          (error: unknown) => {
            // Nothing more of this answer is wanted.
            request.destroy();
            reject(error);
          },
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

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
    const response = await get(url, signal ? AbortSignal.any([signal, timeout]) : timeout);
    if (response.status === 404) return { ok: false };
    if (response.status < 200 || response.status > 299) {
      throw new KioskError(ErrorCode.ApiInternal, `account check answered HTTP ${response.status}`, {
        details: { status: response.status },
      });
    }
    const body: unknown = JSON.parse(response.text);
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
