import { describe, expect, it } from 'vitest';
import { OpenAlertSet } from '../../src/fleet-link/open-alert-set.js';
import {
  type AlertPayload,
  alertSetPayloadSchema,
  MAX_ALERTS_IN_SET,
} from '../../src/fleet-protocol/index.js';

const NOW = new Date('2026-11-25T03:00:00.000Z');
let counter = 0;

function alert(device: string, kind: string, fields: Partial<AlertPayload> = {}): AlertPayload {
  counter++;
  return {
    v: 1,
    kioskId: 'K-0001',
    ts: NOW.toISOString(),
    alertId: `01JD${String(counter).padStart(22, '0')}`,
    device,
    kind,
    action: 'maintenance',
    cleared: false,
    ...fields,
  };
}

describe('open alert set', () => {
  it('opens on a raise, closes on the clear with the same alertId, and says when it changed', () => {
    const set = new OpenAlertSet();
    const jam = alert('cashAcceptor', 'jamInStacker');
    expect(set.apply(jam)).toBe(true);
    expect(set.apply(jam)).toBe(false);
    expect(set.apply(alert('printer', 'paperOut'))).toBe(true);
    expect(set.apply({ ...jam, cleared: true })).toBe(true);
    const payload = set.payload('K-0001', NOW);
    expect(alertSetPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.alerts.map((a) => a.kind)).toEqual(['paperOut']);
    expect(payload.omitted).toBe(0);
  });

  it('closes by device and kind a clear that names no open alertId (an alert raised elsewhere, cleared with a new id)', () => {
    const set = new OpenAlertSet();
    set.apply(alert('cashAcceptor', 'countersInaccurate'));
    set.apply(alert('cashAcceptor', 'orphanCredit'));
    expect(set.apply(alert('cashAcceptor', 'countersInaccurate', { cleared: true }))).toBe(true);
    expect(set.apply(alert('printer', 'coverOpen', { cleared: true }))).toBe(false);
    expect(set.payload('K-0001', NOW).alerts.map((a) => a.kind)).toEqual(['orphanCredit']);
  });

  it('lists at most MAX_ALERTS_IN_SET, the newest, and counts the rest as omitted', () => {
    const set = new OpenAlertSet();
    const raised = Array.from({ length: MAX_ALERTS_IN_SET + 5 }, (_, i) =>
      alert('cashAcceptor', `orphan${i}`),
    );
    for (const a of raised) set.apply(a);
    const payload = set.payload('K-0001', NOW);
    expect(alertSetPayloadSchema.safeParse(payload).success).toBe(true);
    expect(payload.alerts).toHaveLength(MAX_ALERTS_IN_SET);
    expect(payload.omitted).toBe(5);
    expect(payload.alerts[0]?.alertId).toBe(raised[5]?.alertId);
  });
});
