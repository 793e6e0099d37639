import { afterEach, describe, expect, it } from 'vitest';
import { type KioskRig, startKioskRig, waitUntil } from '../api/kiosk-daemon-rig.js';
import { GOOD_PASSWORD, testHash } from './service-fixtures.js';

const rigs: KioskRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.stop({ removeData: true });
});

describe('service mode on the kiosk API', () => {
  it('needs the API token and a technician session; login, commands and exit as on the console', async () => {
    const rig = await startKioskRig({
      technicians: [{ id: 't-001', passwordHash: await testHash(GOOD_PASSWORD) }],
    });
    rigs.push(rig);
    await waitUntil(
      () => (rig.daemon.serviceMode.status()['kioskMode'] === 'inService' ? true : undefined),
      'in service',
      10_000,
    );

    expect((await rig.request('GET', '/service/session')).body).toEqual({
      kioskMode: 'inService',
      serviceMode: 'off',
    });
    // The screen's token alone runs nothing.
    const noSession = await rig.request('POST', '/service/commands', { body: { cmd: 'summary' } });
    expect(noSession.status).toBe(401);
    expect(noSession.body.error.reason).toContain('log in first');
    // No API token: refused before the password is looked at.
    const noToken = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: GOOD_PASSWORD },
      token: null,
    });
    expect(noToken.status).toBe(401);
    const wrong = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.reason).toBe('wrong technician id or password');
    const junk = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: GOOD_PASSWORD, pin: 1 },
    });
    expect(junk.status).toBe(400);
    expect(rig.daemon.serviceMode.session).toBeUndefined();

    const login = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: GOOD_PASSWORD },
    });
    expect(login.status).toBe(201);
    expect(login.body).toMatchObject({
      kioskMode: 'maintenance',
      serviceMode: 'active',
      technician: 't-001',
    });
    const session = { 'x-service-session': String(login.body.sessionToken) };

    // New customers are refused while the technician works.
    const topUp = await rig.request('POST', '/topups', { body: {} });
    expect(topUp.status).toBeGreaterThanOrEqual(400);

    const summary = await rig.request('POST', '/service/commands', {
      body: { cmd: 'summary' },
      headers: session,
    });
    expect(summary.status).toBe(200);
    expect(summary.body.result.summary).toMatchObject({ payments: 0 });
    const forged = await rig.request('POST', '/service/commands', {
      body: { cmd: 'summary' },
      headers: { 'x-service-session': 'A'.repeat(43) },
    });
    expect(forged.status).toBe(401);
    const unknown = await rig.request('POST', '/service/commands', {
      body: { cmd: 'explode' },
      headers: session,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.reason).toContain('unknown command');

    const exit = await rig.request('DELETE', '/service/session', { body: {}, headers: session });
    expect(exit.body).toEqual({ kioskMode: 'inService', serviceMode: 'off' });
    // The token died with the session.
    expect(
      (await rig.request('POST', '/service/commands', { body: { cmd: 'summary' }, headers: session })).status,
    ).toBe(401);
    const audit = rig.daemon.journal.audit
      .tail(20)
      .map((e) => `${e.actor} ${e.action} ${String(e.details['outcome'] ?? '')}`.trim());
    expect(audit).toEqual(
      expect.arrayContaining([
        'technician:t-001 service.login wrongPassword',
        'technician:t-001 service.login ok',
        'technician:t-001 service.summary ok',
        'technician:t-001 service.unknown-command refused',
      ]),
    );
  });
});
