import { describe, expect, it } from 'vitest';
import { FleetState, MAX_EPOCH_JUMP } from '../../src/fleet/fleet-state.js';
import { formatAmount, inPlaceFrame, renderFleetTable } from '../../src/fleet/render-view.js';
import { MAX_EPOCH } from '../../src/fleet-protocol/index.js';
import { paymentPayload } from './fleet-test-kit.js';

const ts = (s: number) => new Date(Date.UTC(2026, 10, 25, 3, 0, s)).toISOString();

function status(kioskId: string, state: 'online' | 'offline', epoch: number, mode = 'inService', s = 0) {
  return JSON.stringify({ v: 1, kioskId, ts: ts(s), state, mode, epoch, version: '0.1.0' });
}

function health(kioskId: string, epoch: number, s = 0) {
  return JSON.stringify({
    v: 1,
    kioskId,
    ts: ts(s),
    epoch,
    mode: 'inService',
    uptimeS: 12,
    memory: { rssBytes: 1, heapUsedBytes: 1 },
    devices: {
      cashAcceptor: { state: 'online' },
      printer: { state: 'userError', action: 'clear', reason: 'paperOut' },
    },
    cashbox: {
      cashAcceptor: {
        notes: 250,
        value: 500000,
        capacity: 1000,
        fill: 0.25,
        accuracy: 'accurate',
        denominations: [{ denomination: 2000, count: 250 }],
      },
    },
    paper: 'out',
    outbox: { pending: 2, oldestPendingSeq: 7 },
  });
}

let alertCounter = 0;
function alert(kioskId: string, device: string, kind: string, cleared: boolean, s = 0) {
  alertCounter++;
  return JSON.stringify({
    v: 1,
    kioskId,
    ts: ts(s),
    alertId: `01JD${String(alertCounter).padStart(22, '0')}`,
    device,
    kind,
    action: 'maintenance',
    cleared,
  });
}

const topic = (kioskId: string, kind: string) => `kiosk/v1/${kioskId}/${kind}`;

describe('fleet state', () => {
  it('ignores a stale Will (older epoch) that arrives after a newer online', () => {
    const state = new FleetState();
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'online', 4))).toBe('applied');
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'online', 5))).toBe('applied');
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', 4))).toBe('stale');
    expect(state.snapshot().kiosks[0]).toMatchObject({ state: 'online', epoch: 5 });
    expect(state.snapshot().staleMessages).toBe(1);
  });

  it('takes the Will of the current connection: same epoch, offline', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'online', 5));
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', 5))).toBe('applied');
    expect(state.snapshot().kiosks[0]).toMatchObject({ state: 'offline', epoch: 5 });
  });

  it('reads devices, cashbox, paper and outbox from health, and ignores health of an older epoch', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'offline', 3));
    expect(state.apply(topic('k-1', 'health'), health('k-1', 4))).toBe('applied');
    const kiosk = state.snapshot().kiosks[0]!;
    expect(kiosk).toMatchObject({ state: 'online', epoch: 4, paper: 'out', outboxPending: 2 });
    expect(kiosk.devices['printer']).toEqual({ state: 'userError', action: 'clear', reason: 'paperOut' });
    expect(kiosk.cashbox['cashAcceptor']?.fill).toBe(0.25);
    expect(state.apply(topic('k-1', 'health'), health('k-1', 3))).toBe('stale');
  });

  it('opens an alert per device and kind, and closes it when a cleared one comes', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'alert'), alert('k-1', 'cashAcceptor', 'jam', false, 1));
    state.apply(topic('k-1', 'alert'), alert('k-1', 'printer', 'paperOut', false, 2));
    state.apply(topic('k-1', 'alert'), alert('k-1', 'cashAcceptor', 'jam', false, 3));
    expect(state.snapshot().kiosks[0]?.openAlerts.map((a) => [a.device, a.kind, a.ts])).toEqual([
      ['printer', 'paperOut', ts(2)],
      ['cashAcceptor', 'jam', ts(3)],
    ]);
    state.apply(topic('k-1', 'alert'), alert('k-1', 'cashAcceptor', 'jam', true, 4));
    expect(state.snapshot().kiosks[0]?.openAlerts.map((a) => a.kind)).toEqual(['paperOut']);
  });

  it('keeps the highest-seq payment as the last one, whatever order resends come in', () => {
    const state = new FleetState();
    const p2 = paymentPayload('k-1', 2);
    state.apply(topic('k-1', 'payment'), JSON.stringify(p2));
    state.apply(topic('k-1', 'payment'), JSON.stringify(paymentPayload('k-1', 1)));
    expect(state.snapshot().kiosks[0]?.lastPayment).toMatchObject({
      seq: 2,
      paymentId: p2.paymentId,
      amount: 10000,
    });
  });

  it('counts invalid payloads without creating or changing kiosks', () => {
    const state = new FleetState();
    expect(state.apply(topic('k-1', 'status'), 'nope')).toBe('invalid');
    expect(state.apply(topic('k-1', 'status'), status('k-2', 'online', 1))).toBe('invalid');
    expect(state.apply(topic('k-1', 'health'), JSON.stringify({ v: 1 }))).toBe('invalid');
    expect(state.apply('other/topic', 'x')).toBe('ignored');
    expect(state.apply(topic('k-1', 'status'), '')).toBe('ignored');
    expect(state.snapshot()).toMatchObject({ kiosks: [], invalidMessages: 3 });
  });

  it('refuses an epoch beyond MAX_EPOCH as malformed, so a forged 2^53-1 status changes nothing', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'online', 3));
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', Number.MAX_SAFE_INTEGER))).toBe(
      'invalid',
    );
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', MAX_EPOCH + 1))).toBe('invalid');
    expect(state.apply(topic('k-1', 'health'), health('k-1', 3, 5))).toBe('applied');
    expect(state.snapshot().kiosks[0]).toMatchObject({ state: 'online', epoch: 3, epochWarning: null });
  });

  it('distrusts a jump of more than MAX_EPOCH_JUMP: flags it, keeps what it believed, and keeps taking the real messages', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'online', 3, 'inService', 1));
    const forged = 3 + MAX_EPOCH_JUMP + 1;
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', forged, 'inService', 2))).toBe(
      'suspect',
    );
    // The same retained message again (a view reconnecting gets it again) proves nothing.
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', forged, 'inService', 2))).toBe(
      'suspect',
    );
    expect(state.apply(topic('k-1', 'health'), health('k-1', 3, 40))).toBe('applied');
    const kiosk = state.snapshot().kiosks[0]!;
    expect(kiosk).toMatchObject({ state: 'online', epoch: 3, outboxPending: 2 });
    expect(kiosk.epochWarning).toEqual({
      claimedEpoch: forged,
      believedEpoch: 3,
      kind: 'status',
      ts: ts(2),
      adopted: false,
    });
    expect(state.snapshot().suspectMessages).toBe(2);
    // A jump within the bound is the kiosk reconnecting while the view was away.
    expect(
      state.apply(topic('k-1', 'status'), status('k-1', 'online', 3 + MAX_EPOCH_JUMP, 'inService', 41)),
    ).toBe('applied');
  });

  it('moves to a far epoch only when a second, different message of it arrives (a kiosk whose epoch file was replaced)', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'online', 3, 'inService', 1));
    const far = 2_000_000_000;
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'online', far, 'inService', 2))).toBe('suspect');
    expect(state.apply(topic('k-1', 'health'), health('k-1', far, 2))).toBe('applied');
    expect(state.snapshot().kiosks[0]).toMatchObject({ state: 'online', epoch: far });
    expect(state.snapshot().kiosks[0]?.epochWarning).toMatchObject({
      claimedEpoch: far,
      believedEpoch: 3,
      adopted: true,
    });
    // Now the old line is the far one: its Will is stale.
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', 3, 'inService', 3))).toBe('suspect');
  });

  it('does not let a forged first status blind a fresh view: the kiosk’s own health, twice, wins', () => {
    const state = new FleetState();
    const forged = MAX_EPOCH;
    expect(state.apply(topic('k-1', 'status'), status('k-1', 'offline', forged, 'inService', 1))).toBe(
      'applied',
    );
    expect(state.apply(topic('k-1', 'health'), health('k-1', 3, 2))).toBe('suspect');
    expect(state.snapshot().kiosks[0]?.epochWarning).toMatchObject({
      claimedEpoch: 3,
      believedEpoch: forged,
    });
    expect(state.apply(topic('k-1', 'health'), health('k-1', 3, 32))).toBe('applied');
    expect(state.snapshot().kiosks[0]).toMatchObject({ state: 'online', epoch: 3, outboxPending: 2 });
  });

  it('takes the retained alert set as the open alerts, and ignores single alerts the set already covers', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'alert'), alert('k-1', 'printer', 'paperOut', false, 1));
    const set = {
      v: 1,
      kioskId: 'k-1',
      ts: ts(5),
      alerts: [
        {
          alertId: `01JD${'9'.repeat(22)}`,
          device: 'cashAcceptor',
          kind: 'jam',
          action: 'maintenance',
          ts: ts(4),
        },
      ],
      omitted: 0,
    };
    expect(state.apply(topic('k-1', 'alerts'), JSON.stringify(set))).toBe('applied');
    expect(state.snapshot().kiosks[0]?.openAlerts.map((a) => a.kind)).toEqual(['jam']);
    // Older than the set: already in it (or already cleared from it).
    expect(state.apply(topic('k-1', 'alert'), alert('k-1', 'printer', 'paperOut', false, 3))).toBe('stale');
    expect(state.apply(topic('k-1', 'alert'), alert('k-1', 'coin', 'jam', false, 6))).toBe('applied');
    expect(state.snapshot().kiosks[0]?.openAlerts.map((a) => a.device)).toEqual(['cashAcceptor', 'coin']);
    expect(state.apply(topic('k-1', 'alerts'), JSON.stringify({ ...set, ts: ts(7), alerts: [] }))).toBe(
      'applied',
    );
    expect(state.snapshot().kiosks[0]?.openAlerts).toEqual([]);
    expect(state.apply(topic('k-1', 'alerts'), JSON.stringify({ ...set, alerts: 'x' }))).toBe('invalid');
  });

  it('lets the kiosk’s next alert set replace one with a forged future ts', () => {
    const state = new FleetState();
    const set = (ts: string, kinds: string[]) =>
      JSON.stringify({
        v: 1,
        kioskId: 'k-1',
        ts,
        alerts: kinds.map((kind, i) => ({
          alertId: `01JD${String(i).padStart(22, '7')}`,
          device: 'cashAcceptor',
          kind,
          action: 'maintenance',
          ts,
        })),
        omitted: 0,
      });
    expect(state.apply(topic('k-1', 'alerts'), set('2099-01-01T00:00:00.000Z', []))).toBe('applied');
    expect(state.apply(topic('k-1', 'alerts'), set(ts(9), ['jam']))).toBe('applied');
    expect(state.snapshot().kiosks[0]?.openAlerts.map((a) => a.kind)).toEqual(['jam']);
    expect(state.apply(topic('k-1', 'alert'), alert('k-1', 'printer', 'paperOut', false, 10))).toBe(
      'applied',
    );
  });

  it('reads the last payment from health too, keeping the highest seq', () => {
    const state = new FleetState();
    const withPayment = (seq: number, s: number) => {
      const h = JSON.parse(health('k-1', 1, s));
      h.lastPayment = {
        paymentId: `01JD${String(seq).padStart(22, '0')}`,
        seq,
        amount: 5000,
        currency: 'CNY',
        kind: 'complete',
        ts: ts(s),
      };
      return JSON.stringify(h);
    };
    expect(state.apply(topic('k-1', 'health'), withPayment(4, 1))).toBe('applied');
    expect(state.snapshot().kiosks[0]?.lastPayment).toMatchObject({ seq: 4, amount: 5000 });
    state.apply(topic('k-1', 'payment'), JSON.stringify(paymentPayload('k-1', 5)));
    state.apply(topic('k-1', 'health'), withPayment(4, 2));
    expect(state.snapshot().kiosks[0]?.lastPayment?.seq).toBe(5);
  });

  it('lists kiosks sorted by id', () => {
    const state = new FleetState();
    for (const id of ['k-3', 'k-1', 'k-2']) state.apply(topic(id, 'status'), status(id, 'online', 1));
    expect(state.snapshot().kiosks.map((k) => k.kioskId)).toEqual(['k-1', 'k-2', 'k-3']);
  });
});

describe('rendering', () => {
  it('formats minor units as a decimal amount without floats', () => {
    expect(formatAmount(123456, 'CNY')).toBe('1234.56 CNY');
    expect(formatAmount(5, 'CNY')).toBe('0.05 CNY');
    expect(formatAmount(500, 'JPY')).toBe('500 JPY');
  });

  it('renders one line per kiosk with state, devices, cashbox, last payment and alerts', () => {
    const state = new FleetState();
    state.apply(topic('k-2', 'status'), status('k-2', 'offline', 2));
    state.apply(topic('k-1', 'health'), health('k-1', 1));
    state.apply(topic('k-1', 'payment'), JSON.stringify({ ...paymentPayload('k-1', 7), ts: ts(0) }));
    state.apply(topic('k-1', 'alert'), alert('k-1', 'cashAcceptor', 'jam', false));
    const lines = renderFleetTable(state.snapshot(new Date(ts(30))), { now: new Date(ts(30)) });
    expect(lines[0]).toContain('2 kiosks, 1 online, 1 open alerts');
    const k1 = lines.find((l) => l.startsWith('k-1'))!;
    expect(k1).toMatch(/k-1\s+online\s+inService\s+1\s+30s/);
    expect(k1).toContain('acc:online prn:userError/clear');
    expect(k1).toContain('25% (250)');
    expect(k1).toContain('#7 350.00 CNY 30s ago');
    expect(k1).toContain('jam(acc)/maintenance');
    expect(lines.find((l) => l.startsWith('k-2'))).toMatch(/k-2\s+offline\s+inService\s+2/);
    expect(lines.join('\n')).not.toContain('epoch');
    expect(lines.findIndex((l) => l.startsWith('k-1'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('k-2')),
    );
  });

  it('marks a kiosk whose epoch jumped and says under the table what it ignored', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'status'), status('k-1', 'online', 3));
    state.apply(topic('k-1', 'status'), status('k-1', 'offline', 5_000_000, 'inService', 2));
    const lines = renderFleetTable(state.snapshot(new Date(ts(30))), { now: new Date(ts(30)) });
    expect(lines.find((l) => l.startsWith('k-1'))).toMatch(/k-1\s+online\s+inService\s+3!/);
    expect(lines).toContain(
      'k-1: ignored a status claiming epoch 5000000 (believed 3), 28s ago; a jump that far is not a reconnect',
    );
  });

  it('cuts lines to the terminal width and redraws in place', () => {
    const state = new FleetState();
    state.apply(topic('k-1', 'health'), health('k-1', 1));
    const lines = renderFleetTable(state.snapshot(), { now: new Date(), width: 40 });
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    expect(inPlaceFrame(['a', 'b'])).toBe('\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J');
  });
});
