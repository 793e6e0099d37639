import { afterEach, describe, expect, it } from 'vitest';
import { type Json, type KioskRig, startKioskRig, waitUntil } from '../api/kiosk-daemon-rig.js';
import { GOOD_PASSWORD, testHash } from './service-fixtures.js';

const rigs: KioskRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.stop({ removeData: true });
});

describe("a technician's reprint", () => {
  it("reprints any payment's receipt marked as a reprint, journaled with the technician as actor", async () => {
    const rig = await startKioskRig({
      technicians: [{ id: 't-001', passwordHash: await testHash(GOOD_PASSWORD) }],
      devices: {
        cashAcceptor: { port: 'sim:id003', pollIntervalMs: 100 },
        printer: { enabled: true, port: 'sim:escpos', columns: 42, statusPollIntervalMs: 200 },
      },
      simulators: {
        controlPort: 0,
        options: { id003: { timingPreset: 'fast' }, escpos: { timingPreset: 'fast', columns: 42 } },
      },
    });
    rigs.push(rig);
    await waitUntil(
      () => (rig.daemon.devices.get('printer')?.status.state === 'online' ? true : undefined),
      'printer online',
      10_000,
    );
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    expect(
      (await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
    ).toBe(200);
    await rig.waitForTopUp((v) => v.state === 'insertingCash' && v.acceptedDenominations.length > 0);
    await rig.creditNote(1000, 1000);
    expect((await rig.request('POST', '/topups/current/confirm', { body: {} })).status).toBe(200);
    const done = await rig.waitForTopUp((v) => v.state === 'done', 15_000);
    const paymentId = String(done.paymentId);

    const login = await rig.request('POST', '/service/session', {
      body: { technician: 't-001', password: GOOD_PASSWORD },
    });
    expect(login.status).toBe(201);
    const headers = { 'x-service-session': String(login.body.sessionToken) };
    const run = (cmd: string, args: string[]) =>
      rig.request('POST', '/service/commands', { body: { cmd, args }, headers });

    const last = await run('last-payment', []);
    expect(last.body.result.payment).toMatchObject({ paymentId, amount: 1000 });
    const bad = await run('reprint', ['not-a-payment']);
    expect(bad.status).toBe(400);
    const missing = await run('reprint', ['01ARZ3NDEKTSV4RRFFQ69G5FAV']);
    expect(missing.status).toBe(409);
    const reprint = await run('reprint', [paymentId, 'en']);
    expect(reprint.status, JSON.stringify(reprint.body)).toBe(200);
    expect(reprint.body.result).toMatchObject({ paymentId, state: 'printed', prints: 2 });
    const paper = (await (
      await fetch(`${rig.daemon.simulatorControlUrl}/devices/escpos/control`, {
        method: 'POST',
        body: JSON.stringify({ action: 'paper.receipts' }),
      })
    ).json()) as Json;
    const receipts = paper.result.receipts as Json[];
    expect(receipts).toHaveLength(2);
    expect(JSON.stringify(receipts[1]).toLowerCase()).toContain('reprint');
    const audit = rig.daemon.journal.audit.tail(30);
    expect(audit.some((e) => e.actor === 'technician:t-001' && e.action === 'service.reprint')).toBe(true);
  }, 60_000);
});
