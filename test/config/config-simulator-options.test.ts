import { describe, expect, it } from 'vitest';
import { ErrorCode, KioskError } from '../../core/errors.js';
import { parseConfig } from '../../src/config/index.js';

describe('simulators.options', () => {
  it('defaults the ID-003 simulator to realistic timing and takes fast for tests', () => {
    expect(parseConfig({ kioskId: 'k' }, 't').simulators.options).toEqual({
      id003: { timingPreset: 'realistic', wireTime: true },
    });
    const fast = parseConfig(
      { kioskId: 'k', simulators: { options: { id003: { timingPreset: 'fast' } } } },
      't',
    );
    expect(fast.simulators.options.id003.timingPreset).toBe('fast');
  });

  it('paces the simulated line at wire time unless a bench turns it off', () => {
    const off = parseConfig({ kioskId: 'k', simulators: { options: { id003: { wireTime: false } } } }, 't');
    expect(off.simulators.options.id003).toEqual({ timingPreset: 'realistic', wireTime: false });
  });

  it('takes single timing steps over the preset and names a bad one', () => {
    const timed = parseConfig(
      {
        kioskId: 'k',
        simulators: { options: { id003: { timingPreset: 'fast', timing: { stackingMs: 4 } } } },
      },
      't',
    );
    expect(timed.simulators.options.id003.timing).toEqual({ stackingMs: 4 });
    expect(() =>
      parseConfig(
        { kioskId: 'k', simulators: { options: { id003: { timing: { escrowTimeoutMs: 0 } } } } },
        't',
      ),
    ).toThrow('simulators.options.id003.timing.escrowTimeoutMs: expected an integer from 1 to 600000, got 0');
    expect(() =>
      parseConfig({ kioskId: 'k', simulators: { options: { id003: { timing: { stackMs: 4 } } } } }, 't'),
    ).toThrow('simulators.options.id003.timing.stackMs: unknown key');
  });

  it('names a bad preset, a bad wireTime and an unknown key', () => {
    const problemsOf = (raw: unknown): string[] => {
      try {
        parseConfig(raw, 't');
      } catch (error) {
        expect(error).toBeInstanceOf(KioskError);
        expect((error as KioskError).code).toBe(ErrorCode.ConfigInvalid);
        return (error as KioskError).details?.['problems'] as string[];
      }
      throw new Error('expected the config to be refused');
    };
    expect(
      problemsOf({ kioskId: 'k', simulators: { options: { id003: { timingPreset: 'slow' } } } }).join('\n'),
    ).toContain('simulators.options.id003.timingPreset: expected "fast" or "realistic"');
    expect(
      problemsOf({ kioskId: 'k', simulators: { options: { id003: { timing: 'fast' } } } }).join('\n'),
    ).toContain('simulators.options.id003');
    expect(problemsOf({ kioskId: 'k', simulators: { options: { id003: { wireTime: 'off' } } } })).toEqual([
      'simulators.options.id003.wireTime: expected true or false, got "off"',
    ]);
  });
});
