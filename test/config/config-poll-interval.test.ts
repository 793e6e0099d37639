import { describe, expect, it } from 'vitest';
import { ErrorCode, isKioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';

/**
 * devices.cashAcceptor.pollIntervalMs: 100-200 ms for a real unit (faster polling is outside
 * what the vendor's units are specified for), from 10 ms when the port is an in-process
 * simulator, which a benchmark drives thousands of top-ups through.
 */
function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'test');
  } catch (error) {
    if (!isKioskError(error, ErrorCode.ConfigInvalid)) throw error;
    return error.details?.['problems'] as string[];
  }
  throw new Error('expected the config to be rejected');
}

const acceptor = (port: string, pollIntervalMs: number) => ({
  kioskId: 'k-1',
  devices: { cashAcceptor: { port, pollIntervalMs } },
});

describe('devices.cashAcceptor.pollIntervalMs', () => {
  it('takes 10 to 200 on a sim: port', () => {
    for (const ms of [10, 15, 99, 100, 200]) {
      expect(parseConfig(acceptor('sim:id003', ms), 't').devices.cashAcceptor.pollIntervalMs).toBe(ms);
    }
  });

  it('takes 100 to 200 on a real port', () => {
    for (const port of ['/dev/serial/by-id/usb-JCM-if00', 'COM3']) {
      for (const ms of [100, 150, 200]) {
        expect(parseConfig(acceptor(port, ms), 't').devices.cashAcceptor.pollIntervalMs).toBe(ms);
      }
    }
  });

  it('refuses a real port polled faster than 100 ms, saying what a real acceptor needs', () => {
    expect(problemsOf(acceptor('/dev/ttyUSB0', 50))).toEqual([
      'devices.cashAcceptor.pollIntervalMs: expected 100 to 200 for a real acceptor, got 50',
    ]);
    expect(problemsOf(acceptor('COM3', 99))).toEqual([
      'devices.cashAcceptor.pollIntervalMs: expected 100 to 200 for a real acceptor, got 99',
    ]);
  });

  it('refuses below 10 or above 200 on any port with the whole rule in one line', () => {
    const line =
      'devices.cashAcceptor.pollIntervalMs: expected an integer from 100 to 200 (from 10 on a sim: port), got';
    expect(problemsOf(acceptor('sim:id003', 9))).toEqual([`${line} 9`]);
    expect(problemsOf(acceptor('sim:id003', 201))).toEqual([`${line} 201`]);
    expect(problemsOf(acceptor('/dev/ttyUSB0', 5))).toEqual([`${line} 5`]);
    expect(problemsOf(acceptor('sim:id003', 12.5))).toEqual([`${line} 12.5`]);
  });

  it('reports only the port when the port itself is bad', () => {
    const problems = problemsOf(acceptor('ttyUSB0', 50));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^devices\.cashAcceptor\.port: /);
  });

  it('keeps the real-unit default of 150 ms', () => {
    expect(parseConfig({ kioskId: 'k-1' }, 't').devices.cashAcceptor.pollIntervalMs).toBe(150);
  });
});
