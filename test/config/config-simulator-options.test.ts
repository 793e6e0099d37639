import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ErrorCode, KioskError } from '../../src/errors.js';

describe('simulators.options', () => {
  it('defaults the ID-003 simulator to realistic timing and takes fast for tests', () => {
    expect(parseConfig({ kioskId: 'k' }, 't').simulators.options).toEqual({
      id003: { timingPreset: 'realistic' },
    });
    const fast = parseConfig(
      { kioskId: 'k', simulators: { options: { id003: { timingPreset: 'fast' } } } },
      't',
    );
    expect(fast.simulators.options.id003.timingPreset).toBe('fast');
  });

  it('names a bad preset and an unknown key', () => {
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
  });
});
