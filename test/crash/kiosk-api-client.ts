/**
 * The kiosk API as the customer screen calls it (contract in src/api/), for the crash harness:
 * every call can be cut short by the harness's abort signal, because the daemon behind it may
 * be SIGKILLed at any instant.
 */

export interface TopUpView {
  txId: string | null;
  state:
    | 'enteringAccount'
    | 'checkingAccount'
    | 'insertingCash'
    | 'committing'
    | 'printing'
    | 'done'
    | 'cancelled';
  account: string | null;
  notes: Array<{ noteId: string; denomination: number }>;
  total: number;
  remaining: number;
  acceptedDenominations: number[];
  noteInProgress: boolean;
  paymentId: string | null;
  kind: 'complete' | 'partial' | null;
  receipt: boolean | null;
  message: { code: string; text: string } | null;
}

export interface KioskState {
  kiosk: { kioskId: string; mode: 'starting' | 'inService' | 'outOfService' | 'maintenance' };
  topUp: TopUpView | null;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export class KioskApiClient {
  /** `token`: this boot's API token, from `<dataDir>/api-token`, as the screen is given it. */
  constructor(
    readonly baseUrl: string,
    private readonly signal: AbortSignal,
    private readonly token: string,
  ) {}

  /** `headers`: beside the API token, e.g. a technician's service session. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const authorization = { ...headers, authorization: `Bearer ${this.token}` };
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      signal: this.signal,
      ...(body === undefined
        ? { headers: authorization }
        : {
            headers: { ...authorization, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  state(): Promise<ApiAnswer<KioskState>> {
    return this.call('GET', '/state');
  }

  start(): Promise<ApiAnswer<TopUpView>> {
    return this.call('POST', '/topups', {});
  }

  account(account: string): Promise<ApiAnswer<TopUpView>> {
    return this.call('PUT', '/topups/current/account', { account });
  }

  current(): Promise<ApiAnswer<TopUpView>> {
    return this.call('GET', '/topups/current');
  }

  confirm(): Promise<ApiAnswer<TopUpView>> {
    return this.call('POST', '/topups/current/confirm', {});
  }

  cancel(): Promise<ApiAnswer<TopUpView>> {
    return this.call('POST', '/topups/current/cancel', {});
  }
}
