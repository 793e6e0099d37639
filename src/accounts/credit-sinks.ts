import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readBoundedBody } from '../../core/read-bounded-body.js';
import type { AccountCredit, CreditOutcome, CreditSink } from '../fleet/credit-forwarding.js';
import type { AccountService } from './account-service.js';

/** The ledger's credits handed to an account service in the same process (the demo). */
export function inProcessCreditSink(service: AccountService, name = 'embedded'): CreditSink {
  return {
    name,
    async credit(credit: AccountCredit): Promise<CreditOutcome> {
      const result = service.credit(credit.paymentId, credit.account, credit.amountFen);
      if ('unknownAccount' in result) return { kind: 'refused', reason: 'unknown account' };
      return { kind: result.credited ? 'credited' : 'alreadyCredited' };
    },
  };
}

export interface HttpCreditSinkOptions {
  /** The account service's base URL, e.g. https://accounts.example:8082 */
  url: string;
  token: string;
  /** PEM CA bundle for an https:// service with a private CA. */
  ca?: Buffer | undefined;
  timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * `POST /v1/credits` to a separate account service. Answers it gives for good (404 unknown
 * account, 400 a request it refuses) are outcomes; anything else (no connection, timeout, 401,
 * 429, 5xx) throws, and the forwarder retries.
 */
export function httpCreditSink(options: HttpCreditSinkOptions): CreditSink {
  const base = new URL(options.url);
  const endpoint = new URL('/v1/credits', base);
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    name: `${base.protocol}//${base.host}`,
    credit: (credit) =>
      new Promise<CreditOutcome>((resolve, reject) => {
        const body = JSON.stringify(credit);
        const send = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
        const request = send(
          endpoint,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${options.token}`,
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              accept: 'application/json',
            },
            signal: AbortSignal.timeout(timeoutMs),
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          },
          (response) => {
            const status = response.statusCode ?? 0;
            readBoundedBody(
              response,
              MAX_ANSWER_BYTES,
              () => new Error('account service answer too large'),
            ).then(
              (text) => {
                let answer: unknown;
                try {
                  answer = JSON.parse(text);
                } catch {
                  answer = undefined;
                }
                const message = (answer as { error?: { message?: unknown } } | undefined)?.error?.message;
                if (status === 200 && typeof (answer as { credited?: unknown })?.credited === 'boolean') {
                  resolve({
                    kind: (answer as { credited: boolean }).credited ? 'credited' : 'alreadyCredited',
                  });
                } else if (status === 404 || status === 400) {
                  resolve({
                    kind: 'refused',
                    reason: `HTTP ${status}: ${String(message ?? 'no reason given')}`,
                  });
                } else {
                  reject(
                    new Error(
                      `account service answered HTTP ${status}${message ? `: ${String(message)}` : ''}`,
                    ),
                  );
                }
              },
              (error: unknown) => {
                request.destroy();
                reject(error);
              },
            );
          },
        );
        request.on('error', reject);
        request.end(body);
      }),
  };
}
