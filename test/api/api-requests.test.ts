import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { createLogger } from '../../src/log.js';
import { type KioskRig, startKioskRig } from './kiosk-daemon-rig.js';

/**
 * Requests the API must refuse: each bad one gets 400 with a reason naming what was wrong and
 * changes nothing; each that does not fit the current state gets 409.
 */
describe('kiosk API: refused requests', () => {
  let rig: KioskRig;

  beforeAll(async () => {
    rig = await startKioskRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function expectRefused(
    status: number,
    code: number,
    method: string,
    path: string,
    init: { body?: string | object; headers?: Record<string, string> } = {},
  ) {
    const before = await rig.request('GET', '/state');
    const auditBefore = rig.daemon.journal.summary();
    const answer = await rig.request(method, path, init);
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(typeof answer.body.error.reason).toBe('string');
    expect(answer.body.error.reason.length).toBeGreaterThan(5);
    expect(typeof answer.body.error.message).toBe('string');
    expect((await rig.request('GET', '/state')).body).toEqual(before.body);
    const auditAfter = rig.daemon.journal.summary();
    expect({ ...auditAfter, auditEntries: 0 }).toEqual({ ...auditBefore, auditEntries: 0 });
    return answer.body.error as { code: number; reason: string; message: string };
  }

  async function cancelCurrent() {
    await rig.request('POST', '/topups/current/cancel', { body: {} });
    await rig.waitForTopUp((v) => v.state === 'cancelled' || v.state === 'done');
  }

  it('answers 404 for an unknown route, a missing current top-up and an unknown txId; 405 for a wrong method', async () => {
    expect((await expectRefused(404, ErrorCode.ApiNotFound, 'GET', '/nothing-here')).reason).toContain(
      '/api/v1/nothing-here',
    );
    await expectRefused(404, ErrorCode.ApiNotFound, 'GET', '/topups/current');
    await expectRefused(404, ErrorCode.ApiNotFound, 'GET', '/topups/01JD3K6W2Q8ZJ4V9N1R5T7Y0AB');
    await expectRefused(404, ErrorCode.ApiNotFound, 'GET', '/topups/not-a-tx-id');
    const wrong = await rig.request('DELETE', '/topups');
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe(ErrorCode.ApiMethodNotAllowed);
    expect(wrong.headers.get('allow')).toBe('POST');
    await expectRefused(405, ErrorCode.ApiMethodNotAllowed, 'GET', '/topups/current/confirm');
  });

  it('answers a malformed percent-encoding in the path with 400 naming the path, not 500', async () => {
    const error = await expectRefused(400, ErrorCode.ApiBadRequest, 'GET', '/topups/%E0%A4%A');
    expect(error.reason).toContain('/api/v1/topups/%E0%A4%A');
    expect(error.reason).toContain('percent-encoding');
  });

  it('refuses bad bodies with 400 and a reason, changing nothing', async () => {
    const bad = (body: string | object, path = '/topups', method = 'POST') =>
      expectRefused(400, ErrorCode.ApiBadRequest, method, path, { body });
    expect((await bad('{"oops": ')).reason).toMatch(/not valid JSON/);
    expect((await bad({ force: true })).reason).toBe('body: unknown key "force"');
    expect((await bad('[1,2]')).reason).toBe('body: expected a JSON object');
    expect((await bad('"text"')).reason).toBe('body: expected a JSON object');
    expect((await expectRefused(400, ErrorCode.ApiBadRequest, 'GET', '/state?lang=fr')).reason).toContain(
      'lang',
    );

    const started = await rig.request('POST', '/topups', { body: {} });
    expect(started.status).toBe(201);
    try {
      const account = (body: string | object) => bad(body, '/topups/current/account', 'PUT');
      expect((await account({ account: 13800138000 })).reason).toMatch(/^account: expected a string/);
      expect((await account({})).reason).toMatch(/^account: /);
      expect((await account({ account: '13800138000', pin: '1234' })).reason).toBe('body: unknown key "pin"');
      for (const number of [
        '12345',
        '12800138000',
        '138001380001',
        '1380013800a',
        ' 13800138000',
        '+8613800138000',
      ]) {
        const error = await account({ account: number });
        expect(error.reason).toContain('CN mobile number');
        expect(error.message).toBe('请输入正确的11位手机号码');
      }
      const oversized = await expectRefused(
        413,
        ErrorCode.ApiBodyTooLarge,
        'PUT',
        '/topups/current/account',
        {
          body: { account: 'x'.repeat(20_000) },
        },
      );
      expect(oversized.reason).toContain('16384');
      expect((await rig.request('GET', '/topups/current')).body.state).toBe('enteringAccount');
    } finally {
      await cancelCurrent();
    }
  });

  it('refuses a body streamed past 16 KiB without a content-length', async () => {
    const url = new URL(`${rig.api}/topups`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'transfer-encoding': 'chunked',
            'content-type': 'application/json',
            authorization: `Bearer ${rig.token()}`,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(`{"pad":"${'y'.repeat(17_000)}`);
      req.end('"}');
    });
    expect(status).toBe(413);
    expect((await rig.request('GET', '/topups/current')).body?.state).not.toBe('enteringAccount');
  });

  it('answers 409 to requests that do not fit the state', async () => {
    await expectRefused(409, ErrorCode.ApiConflict, 'POST', '/topups/current/confirm', { body: {} });
    const started = await rig.request('POST', '/topups', { body: {} });
    expect(started.status).toBe(201);
    try {
      const wrongStep = await expectRefused(409, ErrorCode.ApiConflict, 'POST', '/topups/current/confirm', {
        body: {},
      });
      expect(wrongStep.message).toBe('当前步骤不能进行此操作');
      const active = await expectRefused(409, ErrorCode.ApiConflict, 'POST', '/topups', { body: {} });
      expect(active.message).toBe('当前有充值正在进行');

      expect(
        (await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
      ).toBe(200);
      await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
      await expectRefused(409, ErrorCode.ApiConflict, 'PUT', '/topups/current/account', {
        body: { account: '13900139000' },
      });
      const noNotes = await expectRefused(409, ErrorCode.ApiConflict, 'POST', '/topups/current/confirm', {
        body: {},
        headers: { 'accept-language': 'en-GB,en;q=0.9' },
      });
      expect(noNotes.message).toBe('Please insert a note first');
    } finally {
      await cancelCurrent();
    }
  });

  it('answers confirm with 409 noteInProgress while a note is on its way; a cancel then waits for it and pays it as partial', async () => {
    const control = `${rig.daemon.simulatorControlUrl}/devices/id003/control`;
    const sim = (command: object) => fetch(control, { method: 'POST', body: JSON.stringify(command) });
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    expect(
      (await rig.request('PUT', '/topups/current/account', { body: { account: '13900001111' } })).status,
    ).toBe(200);
    await rig.waitForTopUp((v) => v.acceptedDenominations.includes(1000));
    // The power goes while the note is being stacked: it stays in the path until the unit is back.
    expect((await sim({ action: 'power.cutAt', phase: 'stacking' })).status).toBe(200);
    await rig.insertNote(1000);
    await rig.waitForTopUp((v) => v.noteInProgress === true);
    const busy = await rig.request('POST', '/topups/current/confirm', { body: {} });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: ErrorCode.ApiConflict, reason: 'noteInProgress' });

    const cancelling = rig.request('POST', '/topups/current/cancel', { body: {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await sim({ action: 'power.on' })).status).toBe(200);
    expect((await cancelling).status).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done', 10_000);
    expect(done).toMatchObject({ kind: 'partial', total: 1000 });
    expect(rig.daemon.journal.checkConservation()).toEqual([]);
  });

  it('words customer messages in zh-CN by default, or en by ?lang= or Accept-Language', async () => {
    const zh = await rig.request('GET', '/topups/01JD3K6W2Q8ZJ4V9N1R5T7Y0AB');
    expect(zh.body.error.message).toBe('未找到该笔充值记录');
    const en = await rig.request('GET', '/topups/01JD3K6W2Q8ZJ4V9N1R5T7Y0AB?lang=en');
    expect(en.body.error.message).toBe('That top-up was not found');
    const header = await rig.request('GET', '/topups/01JD3K6W2Q8ZJ4V9N1R5T7Y0AB', {
      headers: { 'accept-language': 'fr;q=1, en-US;q=0.8' },
    });
    expect(header.body.error.message).toBe('That top-up was not found');
    const explicitWins = await rig.request('GET', '/topups/01JD3K6W2Q8ZJ4V9N1R5T7Y0AB?lang=zh-CN', {
      headers: { 'accept-language': 'en' },
    });
    expect(explicitWins.body.error.message).toBe('未找到该笔充值记录');
  });
});

describe('kiosk API: a refused account in the log', () => {
  it('is masked at info level like an accepted one, in the log line and in the reason', async () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const rig = await startKioskRig({}, undefined, {
      logger: createLogger({ level: 'info', destination: sink }),
    });
    try {
      expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
      const refused = await rig.request('PUT', '/topups/current/account', {
        body: { account: '+8613912345678' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.reason).toContain('"+86*******5678"');
      const accepted = await rig.request('PUT', '/topups/current/account', {
        body: { account: '13912345678' },
      });
      expect(accepted.status).toBe(200);
      await rig.request('POST', '/topups/current/cancel', { body: {} });
      const logged = lines.join('\n');
      expect(logged).toContain('kiosk api request refused');
      expect(logged).toContain('+86*******5678');
      expect(logged).not.toContain('8613912345678');
      expect(logged).not.toContain('13912345678');
    } finally {
      await rig.stop();
    }
  });
});
