import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { type Json, type KioskRig, startKioskRig } from './kiosk-daemon-rig.js';

/**
 * Only the kiosk's own screen may drive the API (issue 10, F3): JSON bodies only, the configured
 * Host only, no foreign Origin, and a per-boot token on every state-changing request. Another
 * local program or a web page the kiosk browser opens must not be able to start, redirect,
 * confirm or cancel a customer's top-up.
 */
describe('kiosk API: only the screen can drive it', () => {
  let rig: KioskRig;

  beforeAll(async () => {
    rig = await startKioskRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  /** A raw request, so Host and Origin are exactly what a foreign client would send. */
  function raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: Json }> {
    const url = new URL(`${rig.api}${path}`);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method, headers, setHost: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const hostHeader = () => new URL(rig.api).host;
  const bearer = () => ({ authorization: `Bearer ${rig.token()}` });

  async function expectRefusedUnchanged(
    status: number,
    code: number,
    send: () => Promise<{ status: number; body: Json }>,
  ): Promise<string> {
    const before = (await rig.request('GET', '/state')).body;
    const journalBefore = rig.daemon.journal.summary();
    const answer = await send();
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect((await rig.request('GET', '/state')).body).toEqual(before);
    expect(rig.daemon.journal.summary()).toEqual(journalBefore);
    return answer.body.error.reason as string;
  }

  async function cancelCurrent() {
    await rig.request('POST', '/topups/current/cancel', { body: {} });
    await rig.waitForTopUp((v) => v.state === 'cancelled' || v.state === 'done');
  }

  it('writes a token to <dataDir>/api-token, mode 0600, that changes each boot', async () => {
    const path = join(rig.dir, 'var', 'api-token');
    const first = rig.token();
    expect(first).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await rig.stop({ removeData: false });
    rig = await startKioskRig({}, rig.dir);
    const second = rig.token();
    expect(second).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(second).not.toBe(first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("refuses a second client's text/plain account PUT after the customer's POST; the customer's own PUT wins", async () => {
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    try {
      const intruder = await raw(
        'PUT',
        '/topups/current/account',
        { host: hostHeader(), 'content-type': 'text/plain' },
        '{"account":"13999999999"}',
      );
      expect(intruder.status).toBeGreaterThanOrEqual(400);
      expect(intruder.status).toBeLessThan(500);
      expect((await rig.request('GET', '/topups/current')).body.state).toBe('enteringAccount');
      const own = await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } });
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      expect(own.body.account).toBe('138****8000');
    } finally {
      await cancelCurrent();
    }
  });

  it('answers a body that is not application/json with 415 naming the content type', async () => {
    const reason = await expectRefusedUnchanged(415, ErrorCode.ApiUnsupportedMediaType, () =>
      raw('POST', '/topups', { host: hostHeader(), ...bearer(), 'content-type': 'text/plain' }, '{}'),
    );
    expect(reason).toContain('text/plain');
    expect(reason).toContain('application/json');
    const form = await raw(
      'POST',
      '/topups',
      { host: hostHeader(), ...bearer(), 'content-type': 'application/x-www-form-urlencoded' },
      '{}',
    );
    expect(form.status).toBe(415);
    const none = await raw(
      'POST',
      '/topups',
      { host: hostHeader(), ...bearer(), 'content-length': '2' },
      '{}',
    );
    expect(none.status).toBe(415);
    // A charset parameter is fine.
    const ok = await raw(
      'POST',
      '/topups',
      { host: hostHeader(), ...bearer(), 'content-type': 'application/json; charset=utf-8' },
      '{}',
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    await cancelCurrent();
  });

  it('refuses a Host other than the configured address (DNS rebinding), naming it', async () => {
    const reason = await expectRefusedUnchanged(403, ErrorCode.ApiForbidden, () =>
      raw('GET', '/state', { host: 'evil.example' }),
    );
    expect(reason).toContain('evil.example');
    await expectRefusedUnchanged(403, ErrorCode.ApiForbidden, () =>
      raw('POST', '/topups', { host: 'evil.example', ...bearer(), 'content-type': 'application/json' }, '{}'),
    );
    expect((await raw('GET', '/state', { host: hostHeader() })).status).toBe(200);
  });

  it('refuses a foreign Origin with 403, naming it', async () => {
    const reason = await expectRefusedUnchanged(403, ErrorCode.ApiForbidden, () =>
      raw(
        'POST',
        '/topups',
        {
          host: hostHeader(),
          origin: 'http://evil.example',
          ...bearer(),
          'content-type': 'application/json',
        },
        '{}',
      ),
    );
    expect(reason).toContain('http://evil.example');
    await expectRefusedUnchanged(403, ErrorCode.ApiForbidden, () =>
      raw('GET', '/state', { host: hostHeader(), origin: 'null' }),
    );
    const own = await raw(
      'POST',
      '/topups',
      {
        host: hostHeader(),
        origin: `http://${hostHeader()}`,
        ...bearer(),
        'content-type': 'application/json',
      },
      '{}',
    );
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    await cancelCurrent();
  });

  it('answers a state-changing request without the token, or with a wrong one, with 401', async () => {
    const missing = await expectRefusedUnchanged(401, ErrorCode.ApiUnauthorized, () =>
      rig.request('POST', '/topups', { body: {}, token: null }),
    );
    expect(missing).toContain('api-token');
    await expectRefusedUnchanged(401, ErrorCode.ApiUnauthorized, () =>
      rig.request('POST', '/topups', { body: {}, token: `${rig.token().slice(0, -1)}x` }),
    );
    await expectRefusedUnchanged(401, ErrorCode.ApiUnauthorized, () =>
      rig.request('POST', '/topups', { body: {}, token: 'short' }),
    );
    await expectRefusedUnchanged(401, ErrorCode.ApiUnauthorized, () =>
      rig.request('POST', '/topups', { body: {}, token: null, headers: { authorization: rig.token() } }),
    );
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    try {
      await expectRefusedUnchanged(401, ErrorCode.ApiUnauthorized, () =>
        rig.request('POST', '/topups/current/cancel', { body: {}, token: null }),
      );
    } finally {
      await cancelCurrent();
    }
  });
});
