import { afterEach, describe, expect, it } from 'vitest';
import { TechnicianAuth } from '../../src/service-mode/technician-auth.js';
import { TechnicianLockouts } from '../../src/service-mode/technician-lockouts.js';
import {
  GOOD_PASSWORD,
  password,
  type ServiceFixture,
  serviceFixture,
  testHash,
} from './service-fixtures.js';

const fixtures: ServiceFixture[] = [];
afterEach(() => {
  for (const fixture of fixtures.splice(0)) fixture.close();
});

function authOn(fixture: ServiceFixture, hash: string) {
  const lockouts = new TechnicianLockouts({ journal: fixture.journal, maxFailures: 5, lockMs: 15 * 60_000 });
  return new TechnicianAuth({
    technicians: [
      { id: 't-001', passwordHash: hash },
      { id: 't-002', passwordHash: hash },
    ],
    journal: fixture.journal,
    lockouts,
    now: () => fixture.now.ms,
  });
}

const logins = (fixture: ServiceFixture) =>
  fixture.journal.audit
    .tail(1000)
    .filter((entry) => entry.action === 'service.login')
    .map((entry) => `${entry.actor} ${String(entry.details['outcome'])}`);

describe('technician logins', () => {
  it('locks an id after five wrong passwords for 15 minutes, across a restart, and audits every attempt', async () => {
    const hash = await testHash(GOOD_PASSWORD);
    let fixture = await serviceFixture({ hash });
    fixtures.push(fixture);
    let auth = authOn(fixture, hash);
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await auth.login('t-001', password('wrong'), 'test')).toEqual({
        ok: false,
        reason: 'badCredentials',
        failures: attempt,
      });
    }
    const fifth = await auth.login('t-001', password('wrong'), 'test');
    expect(fifth).toMatchObject({ ok: false, reason: 'locked', lockedUntil: '2026-12-05T10:15:00.000Z' });
    // The right password does not open a locked id; another id is not affected.
    expect(await auth.login('t-001', password(GOOD_PASSWORD), 'test')).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    expect(await auth.login('t-002', password(GOOD_PASSWORD), 'test')).toEqual({
      ok: true,
      technician: 't-002',
    });

    // A restart reads the lock back from the journal.
    fixtures.pop();
    fixture = fixture.reopen();
    fixtures.push(fixture);
    auth = authOn(fixture, hash);
    fixture.now.ms = Date.parse('2026-12-05T10:14:59Z');
    expect(await auth.login('t-001', password(GOOD_PASSWORD), 'test')).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    fixture.now.ms = Date.parse('2026-12-05T10:15:00Z');
    expect(await auth.login('t-001', password(GOOD_PASSWORD), 'test')).toEqual({
      ok: true,
      technician: 't-001',
    });

    expect(logins(fixture)).toEqual([
      ...Array(4).fill('technician:t-001 wrongPassword'),
      'technician:t-001 wrongPasswordLocked',
      'technician:t-001 locked',
      'technician:t-002 ok',
      'technician:t-001 locked',
      'technician:t-001 ok',
    ]);
  });

  it('a success clears the count: failures must be consecutive to lock', async () => {
    const hash = await testHash(GOOD_PASSWORD);
    const fixture = await serviceFixture({ hash });
    fixtures.push(fixture);
    const auth = authOn(fixture, hash);
    for (let i = 0; i < 4; i++) await auth.login('t-001', password('wrong'), 'test');
    expect(await auth.login('t-001', password(GOOD_PASSWORD), 'test')).toMatchObject({ ok: true });
    expect(await auth.login('t-001', password('wrong'), 'test')).toEqual({
      ok: false,
      reason: 'badCredentials',
      failures: 1,
    });
  });

  it('answers an unknown id as a wrong password, audits it, and keeps no record of it', async () => {
    const hash = await testHash(GOOD_PASSWORD);
    const fixture = await serviceFixture({ hash });
    fixtures.push(fixture);
    const auth = authOn(fixture, hash);
    for (let i = 0; i < 6; i++) {
      expect(await auth.login('nobody', password(GOOD_PASSWORD), 'test')).toEqual({
        ok: false,
        reason: 'badCredentials',
      });
    }
    expect(await auth.login('../../etc', password('x'), 'test')).toEqual({
      ok: false,
      reason: 'badCredentials',
    });
    expect(logins(fixture)).toEqual(Array(7).fill('technician:? unknownTechnician'));
    expect(fixture.journal.snapshots.get('technicianLockouts')).toBeNull();
  });

  it('refuses an oversized password without hashing it as given, and wipes the buffer', async () => {
    const hash = await testHash(GOOD_PASSWORD);
    const fixture = await serviceFixture({ hash });
    fixtures.push(fixture);
    const auth = authOn(fixture, hash);
    const long = password(GOOD_PASSWORD + 'x'.repeat(200));
    expect(await auth.login('t-001', long, 'test')).toMatchObject({ ok: false, reason: 'badCredentials' });
    expect(long.every((byte) => byte === 0)).toBe(true);
  });
});
