import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { type KioskRig, startKioskRig, waitUntil } from './kiosk-daemon-rig.js';

/**
 * A journal that cannot write (full disk, I/O error) during a top-up (issue 10, F10): the
 * customer's account PUT is answered 5xx per docs/kiosk-api.md, not 200 with a cancelled
 * top-up, and the kiosk goes out of service with an alert until the journal writes again.
 *
 * The daemon's own connection is made read-only (PRAGMA query_only): every write then fails
 * inside SQLite exactly as on a full disk, through the same error path, and it can be undone.
 */
describe('kiosk API: the journal cannot write', () => {
  let rig: KioskRig;
  let db: Database.Database;

  beforeAll(async () => {
    rig = await startKioskRig();
    db = (rig.daemon.journal as unknown as { db: Database.Database }).db;
  });
  afterAll(async () => {
    db?.pragma('query_only = 0');
    await rig?.stop();
  });

  it('answers the account PUT with 5xx, goes out of service with an alert, and comes back when it writes again', async () => {
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    db.pragma('query_only = 1');
    const answer = await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } });
    expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(500);
    expect(answer.body.error.code).toBe(ErrorCode.JournalIo);
    expect(answer.body.error.reason).toContain('journal');

    await waitUntil(
      async () =>
        (await rig.request('GET', '/state')).body.kiosk.mode === 'outOfService' ? true : undefined,
      'the kiosk out of service',
      10_000,
    );
    const raised = rig.daemon.alerts.recent().filter((a) => a.kind === 'journalUnwritable');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ device: 'journal', action: 'maintenance' });
    const refused = await rig.request('POST', '/topups', { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe('本机暂停服务');

    db.pragma('query_only = 0');
    await waitUntil(
      async () => ((await rig.request('GET', '/state')).body.kiosk.mode === 'inService' ? true : undefined),
      'the kiosk back in service',
      15_000,
    );
    const cleared = rig.daemon.alerts.recent().filter((a) => a.kind === 'journalUnwritable');
    expect(cleared.at(-1)).toMatchObject({ cleared: true });
    expect(cleared).toHaveLength(2);
    expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
    expect(
      (await rig.request('PUT', '/topups/current/account', { body: { account: '13800138000' } })).status,
    ).toBe(200);
    await rig.request('POST', '/topups/current/cancel', { body: {} });
  });

  it('answers 5xx on a full journal (SQLITE_FULL from max_page_count), naming the failure', async () => {
    // The journal's own write path until SQLite says full: its transactions table has no room left.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      await waitUntil(
        () => {
          try {
            rig.daemon.journal.transactions.open({ account: '13900000000', limits: { maxAmount: 0 } });
            return undefined;
          } catch (error) {
            return error;
          }
        },
        'the journal to be full',
        10_000,
      );
      expect((await rig.request('POST', '/topups', { body: {} })).status).toBe(201);
      const answer = await rig.request('PUT', '/topups/current/account', {
        body: { account: '13800138000' },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(500);
      expect(answer.body.error.code).toBe(ErrorCode.JournalIo);
      expect(answer.body.error.reason).toMatch(/full/);
    } finally {
      db.pragma('max_page_count = 1073741823');
    }
    await waitUntil(
      async () => ((await rig.request('GET', '/state')).body.kiosk.mode === 'inService' ? true : undefined),
      'the kiosk back in service',
      15_000,
    );
  });
});
