import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { FleetView } from '../../src/fleet/fleet-view.js';
import { FleetLink } from '../../src/fleet-link/fleet-link.js';
import { KioskStatusBoard } from '../../src/fleet-link/kiosk-status-board.js';
import { statusBoardCommandHandlers } from '../../src/fleet-link/status-board-commands.js';
import {
  alertPayloadSchema,
  alertSetPayloadSchema,
  healthPayloadSchema,
} from '../../src/fleet-protocol/index.js';
import { silentLogger } from '../../src/log.js';
import {
  FleetObserver,
  linkConfig,
  makePayments,
  onCleanup,
  openJournal,
  sleep,
  startTestBroker,
  tempDir,
} from './fleet-link-rig.js';

async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function rig(options: { healthIntervalMs?: number; payments?: number } = {}) {
  const broker = await startTestBroker();
  const dir = tempDir();
  const journal = openJournal(dir);
  makePayments(journal, options.payments ?? 0);
  const board = new KioskStatusBoard({ mode: 'inService' });
  board.setDeviceStatus('cashAcceptor', { state: 'online' });
  const fleet = await FleetObserver.connect(broker.url);
  const link = new FleetLink({
    config: linkConfig({
      dataDir: dir,
      brokerUrl: broker.url,
      fleet: { healthIntervalMs: options.healthIntervalMs ?? 60_000 },
    }),
    journal,
    context: board,
    commands: statusBoardCommandHandlers(board, journal),
    logger: silentLogger(),
  });
  link.start();
  onCleanup(() => link.stop());
  await link.waitForConnection(5000);
  return { broker, journal, board, fleet, link };
}

describe('fleet link health', () => {
  it('publishes health at QoS 0 on connect and every healthIntervalMs, with devices, cashbox and outbox from their sources', async () => {
    const { fleet } = await rig({ healthIntervalMs: 1000, payments: 3 });
    await fleet.waitFor('three health messages', () => fleet.on('health').length >= 3 || undefined, 4000);
    const health = fleet.on('health');
    for (const message of health) {
      expect(message.qos).toBe(0);
    }
    const last = healthPayloadSchema.parse(health[2]?.json);
    expect(last).toMatchObject({
      kioskId: 'K-0001',
      epoch: 1,
      mode: 'inService',
      devices: { cashAcceptor: { state: 'online' } },
      paper: 'unknown',
      outbox: { pending: 3, oldestPendingSeq: 1 },
    });
    expect(last.cashbox['cashAcceptor']).toMatchObject({
      notes: 3,
      value: 3000,
      denominations: [{ denomination: 1000, count: 3 }],
    });
    const gaps = health
      .slice(1)
      .map((m, i) => Date.parse(m.json['ts'] as string) - Date.parse(health[i]?.json['ts'] as string));
    // The first comes with the connection, the next on the period: none in between.
    expect(gaps[1]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeLessThan(1500);
  });

  it('publishes health promptly on a device status change, one message for a burst of changes', async () => {
    const { fleet, board } = await rig();
    await fleet.waitFor('connect health', () => fleet.on('health')[0]);
    const changedAt = Date.now();
    board.setDeviceStatus('cashAcceptor', { state: 'deviceBusy', action: 'suspend', reason: 'pause' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    board.setDeviceStatus('printer', { state: 'offline' });
    board.setPaperLevel('nearEnd');
    const next = await fleet.waitFor('change health', () => fleet.on('health')[1]);
    expect(Date.now() - changedAt).toBeLessThan(500);
    expect(healthPayloadSchema.parse(next.json)).toMatchObject({
      devices: { cashAcceptor: { state: 'online' }, printer: { state: 'offline' } },
      paper: 'nearEnd',
    });
    await sleep(300);
    expect(fleet.on('health')).toHaveLength(2);
  });
});

describe('fleet link alerts', () => {
  it('raises an alert with its action when a device enters a fault and clears the same alertId when it is gone', async () => {
    const { fleet, board } = await rig();
    board.setDeviceStatus('cashAcceptor', {
      state: 'hardwareError',
      action: 'maintenance',
      reason: 'jamInStacker',
    });
    const raised = await fleet.waitFor('alert', () => fleet.on('alert')[0]);
    expect(raised.qos).toBe(1);
    const alert = alertPayloadSchema.parse(raised.json);
    expect(alert).toMatchObject({
      device: 'cashAcceptor',
      kind: 'jamInStacker',
      action: 'maintenance',
      cleared: false,
    });
    board.setDeviceStatus('cashAcceptor', { state: 'hardwareError', action: 'clear', reason: 'stackerFull' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    await fleet.waitFor('three alerts', () => fleet.on('alert').length >= 4 || undefined);
    const all = fleet.on('alert').map((m) => alertPayloadSchema.parse(m.json));
    expect(all.map((a) => [a.kind, a.action, a.cleared])).toEqual([
      ['jamInStacker', 'maintenance', false],
      ['jamInStacker', 'maintenance', true],
      ['stackerFull', 'clear', false],
      ['stackerFull', 'clear', true],
    ]);
    expect(all[1]?.alertId).toBe(alert.alertId);
    expect(all[3]?.alertId).toBe(all[2]?.alertId);
    expect(all[2]?.alertId).not.toBe(alert.alertId);
  });

  it('does not alert for a device that only pauses or repeats its status', async () => {
    const { fleet, board } = await rig();
    board.setDeviceStatus('cashAcceptor', { state: 'deviceBusy', action: 'suspend', reason: 'pause' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    await fleet.waitFor('health after the change', () => fleet.on('health')[1]);
    await sleep(200);
    expect(fleet.on('alert')).toEqual([]);
  });

  it('sends an alert raised while the broker was away once it is back', async () => {
    const { broker, board, link } = await rig();
    const gone = once(link, 'disconnected');
    await broker.close();
    await gone;
    board.setDeviceStatus('cashAcceptor', { state: 'fraudAttempt', action: 'reset', reason: 'cheated' });
    await sleep(100);
    expect(link.connected).toBe(false);
    const back = await startTestBroker(broker.port);
    // Seen at the broker itself, so it does not matter who connects first.
    const alerts: unknown[] = [];
    back.aedes.on('publish', (packet) => {
      if (packet.topic.endsWith('/alert')) alerts.push(JSON.parse(packet.payload.toString()));
    });
    await link.waitForConnection(5000);
    await sleep(100);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'cheated', action: 'reset', cleared: false })]);
  });

  it('alerts each orphan credit once, with the orphan id as alertId, and records in the journal that it did', async () => {
    const { fleet, journal, link } = await rig();
    const { orphanId } = journal.orphans.record({
      device: 'cashAcceptor',
      denomination: 5000,
      reason: 'powerUpInStacker',
    });
    link.kick();
    const alert = await fleet.waitFor('orphan alert', () => fleet.on('alert')[0]);
    expect(alertPayloadSchema.parse(alert.json)).toMatchObject({
      alertId: orphanId,
      kind: 'orphanCredit',
      device: 'cashAcceptor',
      action: 'maintenance',
      details: { orphanId, denomination: 5000, reason: 'powerUpInStacker' },
    });
    await fleet.waitFor(
      'marked alerted',
      () => journal.orphans.get(orphanId).alertRaisedAt !== null || undefined,
    );
    link.kick();
    link.kick();
    await sleep(200);
    expect(fleet.on('alert')).toHaveLength(1);
  });

  it('publishes alerts raised elsewhere in the kiosk, keeping a non-ULID id as sourceAlertId, and refuses a malformed one', async () => {
    const { fleet, link } = await rig();
    link.raiseAlert({
      alertId: 'counters-cashAcceptor-01',
      device: 'cashAcceptor',
      kind: 'countersInaccurate',
      action: 'maintenance',
      message: 'count the cashbox',
      details: { reason: 'power cut' },
    });
    const alert = alertPayloadSchema.parse((await fleet.waitFor('alert', () => fleet.on('alert')[0])).json);
    expect(alert).toMatchObject({
      kind: 'countersInaccurate',
      cleared: false,
      details: {
        sourceAlertId: 'counters-cashAcceptor-01',
        message: 'count the cashbox',
        reason: 'power cut',
      },
    });
    expect(alert.alertId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(() =>
      link.raiseAlert({ device: 'cashAcceptor', kind: 'bad kind!', action: 'maintenance' }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.FleetBadPayload, details: { field: 'kind' } }));
    await sleep(200);
    expect(fleet.on('alert')).toHaveLength(1);
  });

  it('clears an alert raised under a non-ULID id with the same alertId it was raised with', async () => {
    const { fleet, link } = await rig();
    const raise = (cleared: boolean) =>
      link.raiseAlert({
        alertId: 'counters-cashAcceptor-inaccurate',
        device: 'cashAcceptor',
        kind: 'countersInaccurate',
        action: 'maintenance',
        cleared,
      });
    const parsed = () => fleet.on('alert').map((m) => alertPayloadSchema.parse(m.json));
    raise(false);
    const raised = await fleet.waitFor('the alert', () => parsed()[0]);
    raise(true);
    const cleared = await fleet.waitFor('its clear', () => parsed().find((a) => a.cleared));
    expect(raised.cleared).toBe(false);
    expect(cleared.alertId).toBe(raised.alertId);
    expect(cleared.details).toMatchObject({ sourceAlertId: 'counters-cashAcceptor-inaccurate' });
    // Once cleared, the id is forgotten: a new raise is a new alert.
    raise(false);
    const again = await fleet.waitFor('a new raise', () => parsed().find((a, i) => i > 0 && !a.cleared));
    expect(again.alertId).not.toBe(raised.alertId);
  });
});

describe('what a monitor started later sees (retained health and open alerts)', () => {
  async function lateView(url: string) {
    const view = await FleetView.connect({ broker: { url, protocolVersion: 4 }, logger: silentLogger() });
    onCleanup(() => view.close());
    return view;
  }

  it('shows devices, cashbox, the last payment and the open alerts at once, from retained messages', async () => {
    const { broker, board, fleet, journal } = await rig();
    await fleet.waitFor('connect health', () => fleet.on('health')[0]);
    makePayments(journal, 2);
    board.setDeviceStatus('cashAcceptor', {
      state: 'hardwareError',
      action: 'maintenance',
      reason: 'jamInStacker',
    });
    await fleet.waitFor('the alert', () => fleet.on('alert')[0]);
    // The kiosk republishes health after the payment on its own (no health period passes here).
    await fleet.waitFor(
      'health naming the last payment',
      () => fleet.on('health').find((m) => (m.json['lastPayment'] as { seq?: number } | null)?.seq === 2),
      10_000,
    );

    const view = await lateView(broker.url);
    await waitUntil(
      'the late view to hold the kiosk as the retained messages describe it',
      () => {
        const kiosk = view.snapshot().kiosks[0];
        return kiosk?.lastPayment?.seq === 2 && kiosk.openAlerts.length === 1;
      },
      10_000,
    );
    const kiosk = view.snapshot().kiosks[0]!;
    expect(kiosk).toMatchObject({
      kioskId: 'K-0001',
      state: 'online',
      devices: { cashAcceptor: { state: 'hardwareError', action: 'maintenance', reason: 'jamInStacker' } },
      cashbox: { cashAcceptor: { notes: 2, value: 2000 } },
      lastPayment: { seq: 2, amount: 1000, currency: 'CNY', kind: 'complete' },
      openAlerts: [{ device: 'cashAcceptor', kind: 'jamInStacker', action: 'maintenance' }],
    });
    const health = fleet.on('health');
    expect(health.at(-1)).toMatchObject({ qos: 0 });
    const sets = fleet.on('alerts');
    expect(sets.at(-1)).toMatchObject({ qos: 1 });
    expect(alertSetPayloadSchema.parse(sets.at(-1)?.json).alerts).toHaveLength(1);
  });

  it('drops a cleared alert from the retained set, so a later monitor does not see it', async () => {
    const { broker, board, fleet } = await rig();
    board.setDeviceStatus('printer', { state: 'userError', action: 'clear', reason: 'paperOut' });
    await fleet.waitFor('the open set', () =>
      fleet.on('alerts').find((m) => (m.json['alerts'] as unknown[]).length === 1),
    );
    board.setDeviceStatus('printer', { state: 'online' });
    await fleet.waitFor('the emptied set', () =>
      fleet.on('alerts').find((m, i) => i > 0 && (m.json['alerts'] as unknown[]).length === 0),
    );
    const view = await lateView(broker.url);
    await waitUntil(
      'the late view to see the kiosk',
      () => view.snapshot().kiosks[0]?.devices['printer'] !== undefined,
      10_000,
    );
    expect(view.snapshot().kiosks[0]?.openAlerts).toEqual([]);
    // What the broker keeps: the retained copy, as a subscriber arriving now gets it.
    const late = await FleetObserver.connect(broker.url);
    const retained = await late.waitFor('the retained set', () => late.on('alerts').find((m) => m.retain));
    expect(alertSetPayloadSchema.parse(retained.json)).toMatchObject({ kioskId: 'K-0001', alerts: [] });
    const retainedHealth = await late.waitFor('the retained health', () =>
      late.on('health').find((m) => m.retain),
    );
    expect(retainedHealth.json).toMatchObject({ devices: { printer: { state: 'online' } } });
  });

  it('publishes the empty set on connect, replacing a stale retained one', async () => {
    const broker = await startTestBroker();
    const stale = await FleetObserver.connect(broker.url);
    await stale.client.publishAsync(
      'kiosk/v1/K-0001/alerts',
      JSON.stringify({
        v: 1,
        kioskId: 'K-0001',
        ts: new Date().toISOString(),
        alerts: [],
        omitted: 0,
        stale: true,
      }),
      { qos: 1, retain: true },
    );
    const dir = tempDir();
    const journal = openJournal(dir);
    const board = new KioskStatusBoard({ mode: 'inService' });
    const link = new FleetLink({
      config: linkConfig({ dataDir: dir, brokerUrl: broker.url }),
      journal,
      context: board,
      commands: statusBoardCommandHandlers(board, journal),
      logger: silentLogger(),
    });
    link.start();
    onCleanup(() => link.stop());
    await link.waitForConnection(10_000);
    const late = await FleetObserver.connect(broker.url);
    const retained = await late.waitFor(
      'the kiosk’s own set',
      () => late.on('alerts').find((m) => m.retain && alertSetPayloadSchema.safeParse(m.json).success),
      10_000,
    );
    expect(retained.json).toMatchObject({ alerts: [], omitted: 0 });
  });
});
