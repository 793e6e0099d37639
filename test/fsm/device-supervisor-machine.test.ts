import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import {
  deviceSupervisorMachine,
  type SupervisorEmitted,
  type SupervisorEvent,
  type SupervisorInput,
  supervisorSummary,
} from '../../fsm/device/device-supervisor-machine.js';

const RECOVER_AFTER = 2000;
const RECOVERY_TIMEOUT = 10_000;
const ONLINE: DeviceStatus = { state: 'online' };
const CHEATED: DeviceStatus = { state: 'fraudAttempt', action: 'reset', reason: 'cheated' };
const PAUSED: DeviceStatus = { state: 'hardwareError', action: 'suspend', reason: 'pause' };
const STACKER_FULL: DeviceStatus = { state: 'hardwareError', action: 'clear', reason: 'stackerFull' };
const JAM_IN_STACKER: DeviceStatus = {
  state: 'hardwareError',
  action: 'maintenance',
  reason: 'jamInStacker',
};

function supervisor(overrides: Partial<SupervisorInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const actor = createActor(deviceSupervisorMachine, {
    clock,
    input: {
      device: 'cashAcceptor',
      recoverAfterMs: RECOVER_AFTER,
      recoveryTimeoutMs: RECOVERY_TIMEOUT,
      now: () => clock.now(),
      ...overrides,
    },
  });
  const resets: SupervisorEmitted[] = [];
  actor.on('device.reset', (e) => resets.push(e));
  actor.start();
  const send = (event: SupervisorEvent) => actor.send(event);
  const status = (s: DeviceStatus) => send({ type: 'STATUS', status: s });
  return { actor, clock, resets, send, status, state: () => actor.getSnapshot().value };
}

function online(overrides: Partial<SupervisorInput> = {}) {
  const s = supervisor(overrides);
  s.send({ type: 'CONNECTED' });
  s.status({ state: 'starting' });
  s.status(ONLINE);
  expect(s.state()).toBe('online');
  return s;
}

describe('device supervisor: start-up', () => {
  it('connecting → initialising → online, with since stamped on each change', () => {
    const s = supervisor();
    expect(s.state()).toBe('connecting');
    s.status(ONLINE);
    expect(s.state()).toBe('connecting');
    s.clock.increment(500);
    s.send({ type: 'CONNECTED' });
    expect(s.state()).toBe('initialising');
    s.status({ state: 'starting' });
    expect(s.state()).toBe('initialising');
    s.clock.increment(700);
    s.status(ONLINE);
    expect(supervisorSummary(s.actor.getSnapshot())).toEqual({
      device: 'cashAcceptor',
      state: 'online',
      status: ONLINE,
      since: 1_001_200,
      faults: 0,
      lastFault: null,
      resetAttempts: 0,
    });
  });

  it('initialising → fault when the device starts in an error', () => {
    const s = supervisor();
    s.send({ type: 'CONNECTED' });
    s.status(STACKER_FULL);
    expect(s.state()).toBe('fault');
    expect(s.actor.getSnapshot().context).toMatchObject({ faults: 1, lastFault: STACKER_FULL });
  });

  it('initialising → offline when the device does not answer', () => {
    const s = supervisor();
    s.send({ type: 'CONNECTED' });
    s.status({ state: 'noDevice' });
    expect(s.state()).toBe('offline');
  });

  it.each([
    [{ device: '' }, 'device'],
    [{ recoverAfterMs: 0 }, 'recoverAfterMs'],
    [{ recoveryTimeoutMs: 1.5 }, 'recoveryTimeoutMs'],
    [{ maxResetAttempts: -1 }, 'maxResetAttempts'],
  ])('refuses input %j, naming %s', (overrides, field) => {
    const actor = createActor(deviceSupervisorMachine, {
      input: { device: 'x', recoverAfterMs: 1, recoveryTimeoutMs: 1, ...overrides },
    });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(isKioskError(errors[0], ErrorCode.ConfigInvalid)).toBe(true);
    expect((errors[0] as { details: { field: string } }).details.field).toBe(field);
  });
});

describe('device supervisor: online', () => {
  it('stays online while busy, and re-initialises when the device restarts', () => {
    const s = online();
    s.status({ state: 'deviceBusy', action: 'suspend' });
    expect(s.state()).toBe('online');
    expect(s.actor.getSnapshot().context.status.state).toBe('deviceBusy');
    s.status({ state: 'starting' });
    expect(s.state()).toBe('initialising');
  });

  it('goes offline on transport loss from any state, and reconnects', () => {
    const s = online();
    s.send({ type: 'TRANSPORT_LOST', reason: 'cableUnplugged' });
    expect(s.state()).toBe('offline');
    expect(s.actor.getSnapshot().context.status).toEqual({ state: 'offline', reason: 'cableUnplugged' });
    s.send({ type: 'CONNECTED' });
    expect(s.state()).toBe('initialising');
    s.send({ type: 'TRANSPORT_LOST' });
    expect(s.state()).toBe('offline');
    s.status({ state: 'starting' });
    expect(s.state()).toBe('initialising');
  });

  it('goes offline when the device stops answering on a live line', () => {
    const s = online();
    s.status({ state: 'powerOff' });
    expect(s.state()).toBe('offline');
    s.status(ONLINE);
    expect(s.state()).toBe('online');
  });

  it('ignores a status in words outside the vocabulary', () => {
    const s = online();
    s.send({ type: 'STATUS', status: { state: 'exploded' } } as unknown as SupervisorEvent);
    expect(s.state()).toBe('online');
    expect(s.actor.getSnapshot().context.status).toEqual(ONLINE);
  });
});

describe('device supervisor: faults and recovery', () => {
  it.each([
    ['reset', CHEATED],
    ['suspend', PAUSED],
  ])('action %s: after recoverAfter asks for a reset, and online ends the episode', (_, fault) => {
    const s = online();
    s.status(fault);
    expect(s.state()).toBe('fault');
    s.clock.increment(RECOVER_AFTER - 1);
    expect(s.resets).toEqual([]);
    s.clock.increment(1);
    expect(s.state()).toBe('recovering');
    expect(s.resets).toEqual([{ type: 'device.reset', device: 'cashAcceptor', attempt: 1 }]);
    s.status({ state: 'starting' });
    expect(s.state()).toBe('recovering');
    s.status(ONLINE);
    expect(supervisorSummary(s.actor.getSnapshot())).toMatchObject({
      state: 'online',
      faults: 1,
      lastFault: fault,
      resetAttempts: 0,
    });
  });

  it.each([
    ['clear', STACKER_FULL],
    ['maintenance', JAM_IN_STACKER],
  ])('action %s: stays in fault without a reset until the status clears', (_, fault) => {
    const s = online();
    s.status(fault);
    s.clock.increment(RECOVER_AFTER * 10);
    expect(s.state()).toBe('fault');
    expect(s.resets).toEqual([]);
    s.status(ONLINE);
    expect(s.state()).toBe('online');
  });

  it('a reset that does not bring the device back returns to fault, and retries are bounded', () => {
    const s = online({ maxResetAttempts: 2 });
    s.status(CHEATED);
    s.clock.increment(RECOVER_AFTER);
    expect(s.state()).toBe('recovering');
    s.clock.increment(RECOVERY_TIMEOUT);
    expect(s.state()).toBe('fault');
    s.clock.increment(RECOVER_AFTER);
    expect(s.state()).toBe('recovering');
    s.status(CHEATED);
    expect(s.state()).toBe('fault');
    s.clock.increment(RECOVER_AFTER * 10);
    expect(s.state()).toBe('fault');
    expect(s.resets.map((r) => r.attempt)).toEqual([1, 2]);
    expect(s.actor.getSnapshot().context).toMatchObject({ faults: 1, resetAttempts: 2 });
    s.status(ONLINE);
    expect(s.actor.getSnapshot().context.resetAttempts).toBe(0);
  });

  it('a different fault restarts the wait and its action decides; the same fault again changes nothing', () => {
    const s = online();
    s.status(STACKER_FULL);
    s.clock.increment(RECOVER_AFTER * 2);
    expect(s.state()).toBe('fault');
    s.status(STACKER_FULL);
    s.clock.increment(RECOVER_AFTER);
    expect(s.resets).toEqual([]);
    s.status(CHEATED);
    s.clock.increment(RECOVER_AFTER - 1);
    s.status(CHEATED);
    s.clock.increment(1);
    expect(s.state()).toBe('recovering');
    expect(s.actor.getSnapshot().context.faults).toBe(1);
  });

  it('fault → offline on a dead line, and fault → initialising when the device restarts', () => {
    const a = online();
    a.status(STACKER_FULL);
    a.status({ state: 'offline' });
    expect(a.state()).toBe('offline');
    a.status(STACKER_FULL);
    expect(a.state()).toBe('fault');
    expect(a.actor.getSnapshot().context.faults).toBe(2);
    const b = online();
    b.status(STACKER_FULL);
    b.status({ state: 'starting' });
    expect(b.state()).toBe('initialising');
  });

  it('recovering → offline when the device vanishes during the reset', () => {
    const s = online();
    s.status(CHEATED);
    s.clock.increment(RECOVER_AFTER);
    s.status({ state: 'noDevice' });
    expect(s.state()).toBe('offline');
  });
});
