import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the in-test account service saw of one request. */
export interface SeenRequest {
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export const ACCOUNTS = {
  /** Answers the balance when the PIN block is the expected one, wrongPin otherwise. */
  known: '13800138000',
  locked: '13900139000',
  unknown: '13700137000',
  /** Answers HTTP 503. */
  failing: '13600136000',
  /** Never answers. */
  silent: '13500135000',
} as const;

/**
 * The account service's contract (pin-common.md), served in the test process: a bearer token,
 * JSON in and out, answers chosen by account. Not the reference service (`kioskd accounts`):
 * it decrypts nothing, it compares the block it was sent with the one the test expects.
 */
export async function startTestAccountService(options: {
  token: string;
  balanceFen: number;
  expectedPinBlockHex: string;
}): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  let triesLeft = 3;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v1/balance-queries')
        return reply(404, { error: { code: 'notFound' } });
      if (req.headers.authorization !== `Bearer ${options.token}`)
        return reply(401, { error: { code: 'token' } });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      switch (body['account']) {
        case ACCOUNTS.known:
          if (body['pinBlock'] === options.expectedPinBlockHex)
            return reply(200, { result: 'balance', balanceFen: options.balanceFen });
          triesLeft -= 1;
          return reply(200, { result: 'wrongPin', triesLeft });
        case ACCOUNTS.locked:
          return reply(200, { result: 'locked', until: '2026-12-05T14:00:00.000Z' });
        case ACCOUNTS.unknown:
          return reply(200, { result: 'unknownAccount' });
        case ACCOUNTS.failing:
          return reply(503, { error: { code: 'busy' } });
        case ACCOUNTS.silent:
          return;
        default:
          return reply(400, { error: { code: 'badAccount', message: 'account' } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
