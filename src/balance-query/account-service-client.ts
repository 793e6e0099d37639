import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { readBoundedBody } from '../../core/read-bounded-body.js';
import type { PinBlock } from '../../devices/pin-pad/pin-pad.js';
import { type BalanceAnswer, BalanceQueryFailure } from '../../fsm/balance-query/balance-query-machine.js';

/** The contract's answers are a few dozen bytes; anything past this is not the account service talking. */
export const MAX_ANSWER_BYTES = 16 * 1024;
const PATH = '/v1/balance-queries';

export interface AccountServiceSettings {
  url: string;
  token: string;
  timeoutMs: number;
}

export interface BalanceQueryRequest {
  account: string;
  block: PinBlock;
}

export type BalanceQueryClient = (
  request: BalanceQueryRequest,
  signal?: AbortSignal,
) => Promise<BalanceAnswer>;

/**
 * POST over node:http(s), not fetch, for the reason src/topup/account-check.ts gives (the daemon
 * runs --jitless, where fetch's WebAssembly parser does not exist).
 */
function post(
  url: URL,
  token: string,
  body: string,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${token}`,
        },
        signal,
      },
      (response) => {
        response.on('close', () => {
          if (!response.complete) reject(signal.reason ?? new Error('account service answer cut short'));
        });
        const tooLarge = () => new Error(`the account service answered more than ${MAX_ANSWER_BYTES} bytes`);
        readBoundedBody(response, MAX_ANSWER_BYTES, tooLarge).then(
          (text) => resolve({ status: response.statusCode ?? 0, text }),
          (error: unknown) => {
            request.destroy();
            reject(error);
          },
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Hex of the bytes read in place: Buffer.from(bytes) would leave a copy in the shared buffer pool. */
function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** The answer as the contract defines it, or undefined for anything else. */
export function readBalanceAnswer(body: unknown): BalanceAnswer | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const answer = body as Record<string, unknown>;
  switch (answer['result']) {
    case 'balance':
      return isCount(answer['balanceFen'])
        ? { result: 'balance', balanceFen: answer['balanceFen'] }
        : undefined;
    case 'wrongPin':
      return isCount(answer['triesLeft'])
        ? { result: 'wrongPin', triesLeft: answer['triesLeft'] }
        : undefined;
    case 'locked': {
      const until = answer['until'];
      return typeof until === 'string' && until.length <= 64 && !Number.isNaN(Date.parse(until))
        ? { result: 'locked', until }
        : undefined;
    }
    case 'unknownAccount':
      return { result: 'unknownAccount' };
    default:
      return undefined;
  }
}

function unavailable(reason: string, cause?: unknown): BalanceQueryFailure {
  return new BalanceQueryFailure('serviceUnavailable', reason, cause === undefined ? undefined : { cause });
}

/**
 * The billing system's balance query (`POST <url>/v1/balance-queries`, pin-common.md): the
 * account, the PIN block and its KSN in hex, a bearer token. Rejects with a BalanceQueryFailure:
 * `timeout` when no answer came within timeoutMs, `serviceUnavailable` for any other answer
 * than the contract's. No reason it gives ever quotes what was sent.
 */
export function httpBalanceQueryClient(settings: AccountServiceSettings): BalanceQueryClient {
  let endpoint: URL;
  try {
    endpoint = new URL(PATH.slice(1), settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
  } catch (error) {
    throw new KioskError(
      ErrorCode.ConfigInvalid,
      'balanceQuery.accountService.url: expected an http(s) URL',
      {
        cause: error,
        details: { field: 'balanceQuery.accountService.url' },
      },
    );
  }
  return async ({ account, block }, signal) => {
    const body = JSON.stringify({
      account,
      format: block.format,
      pinBlock: hexOf(block.pinBlock),
      ksn: hexOf(block.ksn),
    });
    // The bytes are not needed again; the text above lives only until this call returns.
    block.pinBlock.fill(0);
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: { status: number; text: string };
    try {
      response = await post(endpoint, settings.token, body, combined);
    } catch (error) {
      if (timeout.aborted)
        throw new BalanceQueryFailure(
          'timeout',
          `the account service did not answer within ${settings.timeoutMs} ms`,
        );
      throw unavailable(`the account service could not be reached: ${(error as Error).message}`, error);
    }
    if (response.status !== 200) {
      const why =
        response.status === 401
          ? ' (the configured token was refused)'
          : response.status === 429
            ? ' (rate limited)'
            : '';
      throw unavailable(`the account service answered HTTP ${response.status}${why}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      throw unavailable('the account service answered something that is not JSON');
    }
    const answer = readBalanceAnswer(parsed);
    if (answer === undefined) {
      throw unavailable(
        'the account service answered something other than balance {balanceFen}, wrongPin {triesLeft}, locked {until} or unknownAccount',
      );
    }
    return answer;
  };
}
