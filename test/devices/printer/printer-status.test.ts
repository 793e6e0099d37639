import { describe, expect, it } from 'vitest';
import { IDLE_PRINTER_CONDITION, printerStatusOf } from '../../../devices/printer/printer-status.js';

describe('printerStatusOf', () => {
  const status = (changes: object) => printerStatusOf({ ...IDLE_PRINTER_CONDITION, ...changes });

  it('an idle printer is online with paper', () => {
    expect(status({})).toEqual({ state: 'online', paper: 'ok' });
  });

  it('paper near end is a warning carried in paper, not an error', () => {
    expect(status({ paper: 'nearEnd' })).toEqual({ state: 'online', paper: 'nearEnd' });
  });

  it('staff can clear paper out, an open cover and a cutter jam', () => {
    expect(status({ paper: 'out', offline: true })).toEqual({
      state: 'userError',
      action: 'clear',
      reason: 'paperOut',
      paper: 'out',
    });
    expect(status({ coverOpen: true, offline: true })).toMatchObject({
      reason: 'coverOpen',
      action: 'clear',
    });
    expect(status({ cutterError: true, offline: true })).toMatchObject({
      state: 'hardwareError',
      reason: 'cutterJam',
      action: 'clear',
    });
  });

  it('the most serious fault wins: unrecoverable over cutter over cover over paper', () => {
    expect(
      status({ unrecoverableError: true, cutterError: true, coverOpen: true, paper: 'out' }),
    ).toMatchObject({
      reason: 'unrecoverableError',
      action: 'maintenance',
    });
    expect(status({ cutterError: true, coverOpen: true, paper: 'out' })).toMatchObject({
      reason: 'cutterJam',
    });
    expect(status({ coverOpen: true, paper: 'out' })).toMatchObject({ reason: 'coverOpen', paper: 'out' });
  });

  it('a self-clearing error suspends; offline with no known cause is offline', () => {
    expect(status({ autoRecoverableError: true })).toMatchObject({
      state: 'hardwareError',
      action: 'suspend',
    });
    expect(status({ offline: true })).toEqual({ state: 'offline', reason: 'offline', paper: 'ok' });
  });
});
