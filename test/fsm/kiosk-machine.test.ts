import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import { serviceProblems } from '../../fsm/kiosk/kiosk-health.js';
import {
  canStartTopUp,
  type KioskEvent,
  type KioskInput,
  kioskMachine,
  kioskSummary,
} from '../../fsm/kiosk/kiosk-machine.js';

const ONLINE: DeviceStatus = { state: 'online' };
const STACKER_FULL: DeviceStatus = { state: 'hardwareError', action: 'clear', reason: 'stackerFull' };

function kiosk(input: KioskInput = { printerRequired: false }) {
  const actor = createActor(kioskMachine, { input }).start();
  return {
    actor,
    send: (event: KioskEvent) => actor.send(event),
    mode: () => actor.getSnapshot().value,
  };
}

function inService(input?: KioskInput) {
  const k = kiosk(input);
  k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: ONLINE });
  if (input?.printerRequired) k.send({ type: 'DEVICE_STATUS', device: 'printer', status: ONLINE });
  expect(k.mode()).toBe('inService');
  return k;
}

describe('kiosk machine: starting', () => {
  it('waits in starting until the acceptor reports a settled status', () => {
    const k = kiosk();
    expect(k.mode()).toBe('starting');
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(false);
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: { state: 'starting' } });
    expect(k.mode()).toBe('starting');
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: ONLINE });
    expect(k.mode()).toBe('inService');
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(true);
  });

  it('goes out of service when the acceptor starts in a fault', () => {
    const k = kiosk();
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: STACKER_FULL });
    expect(k.mode()).toBe('outOfService');
    expect(kioskSummary(k.actor.getSnapshot()).problems).toEqual(['cashAcceptor.hardwareError.stackerFull']);
  });

  it('waits for a required printer too', () => {
    const k = kiosk({ printerRequired: true });
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: ONLINE });
    expect(k.mode()).toBe('starting');
    k.send({ type: 'DEVICE_STATUS', device: 'printer', status: { state: 'noDevice' } });
    expect(k.mode()).toBe('outOfService');
  });

  it('goes straight to maintenance or out of service when a command says so', () => {
    const a = kiosk({ printerRequired: false, requested: { mode: 'maintenance', by: 'tech-1' } });
    expect(a.mode()).toBe('maintenance');
    const b = kiosk();
    b.send({ type: 'SET_MODE', mode: 'outOfService', by: 'fleet' });
    expect(b.mode()).toBe('outOfService');
  });

  it.each([
    [{ printerRequired: 'yes' }, 'printerRequired'],
    [{ printerRequired: true, requested: { mode: 'starting', by: 'x' } }, 'requested.mode'],
    [{ printerRequired: true, requested: { mode: 'inService', by: '' } }, 'requested.by'],
  ])('refuses input %j, naming %s', (input, field) => {
    const actor = createActor(kioskMachine, { input: input as unknown as KioskInput });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(isKioskError(errors[0], ErrorCode.ConfigInvalid)).toBe(true);
    expect((errors[0] as { details: { field: string } }).details.field).toBe(field);
  });
});

describe('kiosk machine: derived from device health', () => {
  it.each<[string, KioskEvent]>([
    ['acceptor offline', { type: 'DEVICE_STATUS', device: 'cashAcceptor', status: { state: 'offline' } }],
    ['acceptor jammed', { type: 'DEVICE_STATUS', device: 'cashAcceptor', status: STACKER_FULL }],
    ['cashbox full by the counters', { type: 'CASHBOX', full: true }],
  ])('%s → out of service, and back when it clears', (_, event) => {
    const k = inService();
    k.send(event);
    expect(k.mode()).toBe('outOfService');
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(false);
    k.send(event.type === 'DEVICE_STATUS' ? { ...event, status: ONLINE } : { type: 'CASHBOX', full: false });
    expect(k.mode()).toBe('inService');
  });

  it('a busy acceptor is still in service', () => {
    const k = inService();
    k.send({
      type: 'DEVICE_STATUS',
      device: 'cashAcceptor',
      status: { state: 'deviceBusy', action: 'suspend' },
    });
    expect(k.mode()).toBe('inService');
  });

  it('a printer only matters when required', () => {
    const lax = inService();
    lax.send({
      type: 'DEVICE_STATUS',
      device: 'printer',
      status: { state: 'userError', reason: 'paperOut' },
    });
    expect(lax.mode()).toBe('inService');
    const strict = inService({ printerRequired: true });
    strict.send({
      type: 'DEVICE_STATUS',
      device: 'printer',
      status: { state: 'userError', reason: 'paperOut' },
    });
    expect(strict.mode()).toBe('outOfService');
    expect(kioskSummary(strict.actor.getSnapshot()).problems).toEqual(['printer.userError.paperOut']);
  });

  it('the PIN pad does not affect cash top-up', () => {
    const k = inService();
    k.send({ type: 'DEVICE_STATUS', device: 'pinPad', status: { state: 'hardwareError' } });
    expect(k.mode()).toBe('inService');
  });

  it('ignores a status for an unknown device or in unknown words', () => {
    const k = inService();
    k.send({
      type: 'DEVICE_STATUS',
      device: 'toaster',
      status: { state: 'offline' },
    } as unknown as KioskEvent);
    k.send({
      type: 'DEVICE_STATUS',
      device: 'cashAcceptor',
      status: { state: 'broken' },
    } as unknown as KioskEvent);
    expect(k.mode()).toBe('inService');
    expect(k.actor.getSnapshot().context.devices).toEqual({ cashAcceptor: ONLINE });
  });

  it('lists every problem at once', () => {
    expect(
      serviceProblems({
        devices: { printer: { state: 'offline' } },
        printerRequired: true,
        cashboxFull: true,
      }),
    ).toEqual(['cashAcceptor.unknown', 'cashbox.full', 'printer.offline']);
  });
});

describe('kiosk machine: commands', () => {
  it('SET_MODE moves between inService, outOfService and maintenance', () => {
    const k = inService();
    k.send({ type: 'SET_MODE', mode: 'outOfService', by: 'fleet:cmd-1' });
    expect(k.mode()).toBe('outOfService');
    k.send({ type: 'SET_MODE', mode: 'maintenance', by: 'tech-7' });
    expect(k.mode()).toBe('maintenance');
    k.send({ type: 'SET_MODE', mode: 'inService', by: 'fleet:cmd-2' });
    expect(k.mode()).toBe('inService');
    expect(kioskSummary(k.actor.getSnapshot()).requested).toEqual({ mode: 'inService', by: 'fleet:cmd-2' });
  });

  it('asking for service does not override a broken acceptor', () => {
    const k = inService();
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: { state: 'offline' } });
    k.send({ type: 'SET_MODE', mode: 'inService', by: 'fleet' });
    expect(k.mode()).toBe('outOfService');
  });

  it('LEAVE_MAINTENANCE returns to the mode asked for before it', () => {
    const k = inService();
    k.send({ type: 'SET_MODE', mode: 'outOfService', by: 'fleet' });
    k.send({ type: 'ENTER_MAINTENANCE', by: 'tech' });
    expect(k.mode()).toBe('maintenance');
    k.send({ type: 'ENTER_MAINTENANCE', by: 'tech' });
    k.send({ type: 'LEAVE_MAINTENANCE', by: 'tech' });
    expect(k.mode()).toBe('outOfService');
    k.send({ type: 'SET_MODE', mode: 'inService', by: 'fleet' });
    k.send({ type: 'ENTER_MAINTENANCE', by: 'tech' });
    k.send({ type: 'LEAVE_MAINTENANCE', by: 'tech' });
    expect(k.mode()).toBe('inService');
  });

  it('maintenance holds even when devices recover or fail', () => {
    const k = inService();
    k.send({ type: 'ENTER_MAINTENANCE', by: 'tech' });
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: { state: 'offline' } });
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: ONLINE });
    expect(k.mode()).toBe('maintenance');
  });

  it('LEAVE_MAINTENANCE outside maintenance and malformed commands change nothing', () => {
    const k = inService();
    k.send({ type: 'LEAVE_MAINTENANCE', by: 'tech' });
    k.send({ type: 'SET_MODE', mode: 'starting', by: 'fleet' } as unknown as KioskEvent);
    k.send({ type: 'SET_MODE', mode: 'outOfService', by: '' });
    expect(k.mode()).toBe('inService');
    expect(k.actor.getSnapshot().context.requested).toEqual({ mode: 'inService', by: 'default' });
  });
});

describe('kiosk machine: never in the middle of a transaction', () => {
  it('a mode command during a transaction waits for its end', () => {
    const k = inService();
    k.send({ type: 'TRANSACTION_STARTED' });
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(false);
    k.send({ type: 'SET_MODE', mode: 'outOfService', by: 'fleet:cmd-9' });
    expect(k.mode()).toBe('inService');
    expect(k.actor.getSnapshot().context.pendingMode).toEqual({ mode: 'outOfService', by: 'fleet:cmd-9' });
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(k.mode()).toBe('outOfService');
    expect(k.actor.getSnapshot().context.pendingMode).toBeNull();
  });

  it('maintenance asked for during a transaction starts when it ends', () => {
    const k = inService();
    k.send({ type: 'TRANSACTION_STARTED' });
    k.send({ type: 'ENTER_MAINTENANCE', by: 'tech' });
    expect(k.mode()).toBe('inService');
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(k.mode()).toBe('maintenance');
    k.send({ type: 'LEAVE_MAINTENANCE', by: 'tech' });
    expect(k.mode()).toBe('inService');
  });

  it('a device failing during a transaction takes effect when it ends', () => {
    const k = inService();
    k.send({ type: 'TRANSACTION_STARTED' });
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: STACKER_FULL });
    expect(k.mode()).toBe('inService');
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(false);
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(k.mode()).toBe('outOfService');
  });

  it('the last command during a transaction wins', () => {
    const k = inService();
    k.send({ type: 'TRANSACTION_STARTED' });
    k.send({ type: 'SET_MODE', mode: 'outOfService', by: 'a' });
    k.send({ type: 'SET_MODE', mode: 'inService', by: 'b' });
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(k.mode()).toBe('inService');
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(true);
  });

  it('a transaction cannot start outside service, nor twice', () => {
    const k = kiosk();
    k.send({ type: 'TRANSACTION_STARTED' });
    expect(k.actor.getSnapshot().context.transactionActive).toBe(false);
    k.send({ type: 'DEVICE_STATUS', device: 'cashAcceptor', status: ONLINE });
    k.send({ type: 'TRANSACTION_STARTED' });
    k.send({ type: 'TRANSACTION_STARTED' });
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(canStartTopUp(k.actor.getSnapshot())).toBe(true);
    k.send({ type: 'TRANSACTION_ENDED' });
    expect(k.actor.getSnapshot().context.transactionActive).toBe(false);
  });
});
