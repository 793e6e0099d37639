import { describe, expect, it } from 'vitest';
import { DeviceAlertTracker } from '../../src/fleet-link/device-alerts.js';

function tracker(): DeviceAlertTracker {
  let n = 0;
  return new DeviceAlertTracker({
    kioskId: 'K-0001',
    newId: () => `01J00000000000000000000${String(++n).padStart(3, '0')}`,
  });
}

const now = new Date('2026-12-05T08:00:00Z');
const online = { state: 'online' } as const;

describe('device alerts for the printer’s paper', () => {
  it('raises paperNearEnd while the printer still prints, and clears it when paper is loaded', () => {
    const alerts = tracker();
    const raised = alerts.update({ printer: online }, now, 'nearEnd');
    expect(raised).toEqual([
      expect.objectContaining({ device: 'printer', kind: 'paperNearEnd', action: 'clear', cleared: false }),
    ]);
    expect(alerts.update({ printer: online }, now, 'nearEnd')).toEqual([]);
    const cleared = alerts.update({ printer: online }, now, 'ok');
    expect(cleared).toEqual([
      expect.objectContaining({ alertId: raised[0]?.alertId, kind: 'paperNearEnd', cleared: true }),
    ]);
  });

  it('keeps the near-end warning beside a fault of the same printer (cover opened)', () => {
    const alerts = tracker();
    alerts.update({ printer: online }, now, 'nearEnd');
    const opened = alerts.update(
      { printer: { state: 'userError', action: 'clear', reason: 'coverOpen' } },
      now,
      'nearEnd',
    );
    expect(opened).toEqual([expect.objectContaining({ kind: 'coverOpen', cleared: false })]);
    const paperOut = alerts.update(
      { printer: { state: 'userError', action: 'clear', reason: 'paperOut' } },
      now,
      'out',
    );
    expect(paperOut.map((a) => [a.kind, a.cleared])).toEqual([
      ['coverOpen', true],
      ['paperOut', false],
      ['paperNearEnd', true],
    ]);
  });

  it('raises no paper alert for a kiosk without a printer, whatever the level says', () => {
    expect(tracker().update({ cashAcceptor: online }, now, 'nearEnd')).toEqual([]);
  });

  it('names every unreachable printer state printerOffline, keeping the driver’s reason in the details', () => {
    const alerts = tracker();
    const gone = alerts.update({ printer: { state: 'offline', reason: 'noAnswer' } }, now, 'ok');
    expect(gone).toEqual([
      expect.objectContaining({
        kind: 'printerOffline',
        action: 'maintenance',
        details: expect.objectContaining({ reason: 'noAnswer' }),
      }),
    ]);
    expect(alerts.update({ printer: { state: 'noDevice', reason: 'ENOENT' } }, now, 'ok')).toEqual([]);
    // The acceptor keeps its own words: its reasons are what its alerts have always been called.
    expect(alerts.update({ cashAcceptor: { state: 'noDevice', reason: 'ENOENT' } }, now)).toEqual([
      expect.objectContaining({ device: 'cashAcceptor', kind: 'ENOENT' }),
    ]);
  });
});
