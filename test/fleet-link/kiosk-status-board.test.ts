import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import type { DeviceStatus } from '../../devices/device-status.js';
import type { KioskMode, PaperLevel } from '../../src/fleet-link/fleet-link-context.js';
import { KioskStatusBoard } from '../../src/fleet-link/kiosk-status-board.js';

describe('kiosk status board', () => {
  it('tells listeners about real changes only', () => {
    const board = new KioskStatusBoard();
    let calls = 0;
    const off = board.onChange(() => {
      calls += 1;
    });
    expect(board.mode()).toBe('starting');
    board.setMode('inService');
    board.setMode('inService');
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    board.setDeviceStatus('cashAcceptor', { state: 'hardwareError', action: 'clear', reason: 'stackerFull' });
    board.setPaperLevel('ok');
    board.setPaperLevel('ok');
    expect(calls).toBe(4);
    off();
    board.setMode('outOfService');
    expect(calls).toBe(4);
    expect(board.deviceStatuses()).toEqual({
      cashAcceptor: { state: 'hardwareError', action: 'clear', reason: 'stackerFull' },
    });
  });

  it('hands out copies, so a reader cannot change what the board holds', () => {
    const board = new KioskStatusBoard();
    board.setDeviceStatus('cashAcceptor', { state: 'online' });
    const copy = board.deviceStatuses() as Record<string, DeviceStatus>;
    (copy['cashAcceptor'] as DeviceStatus).state = 'offline';
    expect(board.deviceStatuses()['cashAcceptor']?.state).toBe('online');
  });

  it.each([
    ['a mode', (b: KioskStatusBoard) => b.setMode('dancing' as KioskMode), 'mode'],
    [
      'a device name',
      (b: KioskStatusBoard) => b.setDeviceStatus('cash/acceptor', { state: 'online' }),
      'device',
    ],
    [
      'a state',
      (b: KioskStatusBoard) => b.setDeviceStatus('printer', { state: 'broken' } as unknown as DeviceStatus),
      'state',
    ],
    [
      'an action',
      (b: KioskStatusBoard) =>
        b.setDeviceStatus('printer', { state: 'hardwareError', action: 'kick' } as unknown as DeviceStatus),
      'action',
    ],
    ['a paper level', (b: KioskStatusBoard) => b.setPaperLevel('plenty' as PaperLevel), 'paper'],
  ])(
    'refuses %s it does not know with a KioskError naming the field, changing nothing',
    (_what, act, field) => {
      const board = new KioskStatusBoard({ mode: 'inService' });
      let calls = 0;
      board.onChange(() => {
        calls += 1;
      });
      expect(() => act(board)).toThrow(
        expect.objectContaining({
          code: ErrorCode.FleetBadPayload,
          details: expect.objectContaining({ field }),
        }),
      );
      expect(calls).toBe(0);
      expect(board.mode()).toBe('inService');
      expect(board.deviceStatuses()).toEqual({});
      expect(board.paperLevel()).toBe('unknown');
    },
  );
});
