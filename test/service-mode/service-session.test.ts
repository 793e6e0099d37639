import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../api/kiosk-daemon-rig.js';
import { GOOD_PASSWORD, password, type ServiceFixture, serviceFixture } from './service-fixtures.js';

const fixtures: ServiceFixture[] = [];
afterEach(() => {
  for (const fixture of fixtures.splice(0)) fixture.close();
});

describe('service sessions', () => {
  it('enters maintenance on login and restores the mode before on exit', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    fixture.ports.mode = 'outOfService';
    const console = Symbol('console');
    expect(await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test')).toMatchObject({
      ok: true,
    });
    expect(fixture.service.state).toBe('active');
    expect(fixture.ports.mode).toBe('maintenance');
    expect(fixture.service.end(console, 'exit')).toBe(true);
    expect(fixture.ports.mode).toBe('outOfService');
    expect(fixture.ports.calls).toEqual([
      'enter technician:t-001',
      'end customer (none)',
      'leave technician:t-001',
    ]);
    const actions = fixture.journal.audit
      .tail(10)
      .filter((e) => e.actor !== 'kioskd')
      .map((e) => `${e.actor} ${e.action}`);
    expect(actions).toEqual([
      'technician:t-001 service.login',
      'technician:t-001 service.enter',
      'technician:t-001 service.exit',
    ]);
  });

  it('allows one session at a time', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    const first = Symbol('first');
    const second = Symbol('second');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), first, 'test');
    const refused = await fixture.service.login('t-002', password(GOOD_PASSWORD), second, 'test');
    expect(refused).toMatchObject({ ok: false, reason: 'busy' });
    expect(String((refused as { message: string }).message)).toContain('t-001 is in service mode');
    // The other console cannot end or use the session.
    expect(fixture.service.end(second, 'exit')).toBe(false);
    await expect(fixture.service.run(second, 'summary', [])).rejects.toMatchObject({ code: 'noSession' });
    expect(fixture.service.session?.technician).toBe('t-001');
  });

  it('expires after the idle time, leaving maintenance; each action restarts the clock', async () => {
    const fixture = await serviceFixture({ idleMs: 300 });
    fixtures.push(fixture);
    const ended: string[] = [];
    fixture.service.on('sessionEnded', (event) => ended.push(event.reason));
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await fixture.service.run(console, 'summary', []);
    }
    // 450 ms after login and still active: the actions kept it alive.
    expect(fixture.service.state).toBe('active');
    await waitUntil(() => (ended.length > 0 ? true : undefined), 'the idle expiry', 2_000);
    expect(ended).toEqual(['idle']);
    expect(fixture.service.session).toBeUndefined();
    expect(fixture.ports.mode).toBe('inService');
    const exit = fixture.journal.audit.tail(5).find((e) => e.action === 'service.exit');
    expect(exit?.details).toMatchObject({ reason: 'idle' });
    await expect(fixture.service.run(console, 'summary', [])).rejects.toMatchObject({ code: 'noSession' });
  });

  it('waits for the customer in progress: device commands are refused until the kiosk is in maintenance', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    // A customer in progress: the kiosk machine defers maintenance, so the mode stays inService.
    fixture.ports.enterMaintenance = (by) => {
      fixture.ports.calls.push(`enter ${by}`);
    };
    fixture.ports.customer = 'waiting';
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    expect(fixture.service.state).toBe('entering');
    await expect(fixture.service.run(console, 'test-printer', [])).rejects.toMatchObject({
      code: 'notActive',
    });
    await expect(fixture.service.run(console, 'mode', ['outOfService'])).rejects.toMatchObject({
      code: 'notActive',
    });
    expect(fixture.ports.calls).toEqual(['enter technician:t-001', 'end customer (waiting)']);
    expect(fixture.journal.audit.tail(10).find((e) => e.action === 'service.enter')?.details).toMatchObject({
      customer: 'waiting',
    });
    // Reading the journal needs no device and is allowed at once.
    await expect(fixture.service.run(console, 'summary', [])).resolves.toMatchObject({
      summary: { payments: 0 },
    });
    const refused = fixture.journal.audit.tail(10).filter((e) => e.details['outcome'] === 'refused');
    expect(refused.map((e) => e.action)).toEqual(['service.test-printer', 'service.mode']);
  });

  it('publishes every action with the technician id', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    const published: string[] = [];
    fixture.service.on('action', (event) =>
      published.push(`${event.technician} ${event.action} ${event.outcome}`),
    );
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    await fixture.service.run(console, 'mode', ['outOfService']);
    await expect(fixture.service.run(console, 'mode', ['sideways'])).rejects.toMatchObject({
      code: 'badArgs',
    });
    await expect(fixture.service.run(console, 'reset', ['toaster'])).rejects.toMatchObject({
      code: 'badArgs',
    });
    fixture.service.end(console, 'exit');
    expect(fixture.ports.mode).toBe('outOfService');
    expect(published).toEqual([
      't-001 service.enter ok',
      't-001 mode ok',
      't-001 mode refused',
      't-001 reset refused',
      't-001 service.exit ok',
    ]);
  });
});

describe('a mode chosen elsewhere during service mode', () => {
  it('becomes the mode service mode returns to; the kiosk stays in maintenance until exit', async () => {
    const fixture = await serviceFixture();
    fixtures.push(fixture);
    const console = Symbol('console');
    await fixture.service.login('t-001', password(GOOD_PASSWORD), console, 'test');
    // The fleet's setMode: the operator's store applies it, which takes the kiosk machine out of maintenance.
    await fixture.ports.requestOperatorMode('outOfService', 'fleet');
    expect(fixture.ports.mode).toBe('maintenance');
    expect(fixture.journal.audit.tail(1)[0]).toMatchObject({
      action: 'service.modeHeld',
      details: { requested: 'outOfService' },
    });
    fixture.service.end(console, 'exit');
    expect(fixture.ports.mode).toBe('outOfService');
  });
});
