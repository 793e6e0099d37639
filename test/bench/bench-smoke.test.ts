import { describe, expect, it } from 'vitest';
import { benchFiles, runBench } from '../../bench/run.js';

// A short run of every benchmark so none of them rots; their figures are judged by
// `npm run bench`, never here.
describe('benchmarks (smoke)', () => {
  it('finds the benchmarks', () => {
    expect(benchFiles().length).toBeGreaterThan(0);
  });

  it.each(benchFiles().map((file) => [file.split('/').at(-1)!, file]))(
    '%s runs and reports figures',
    { timeout: 120_000 },
    async (_name, file) => {
      const result = await runBench(file, true);
      expect(result.name.length).toBeGreaterThan(0);
      expect(Object.keys(result.figures).length).toBeGreaterThan(0);
      for (const value of Object.values(result.figures)) {
        if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
      }
      if (result.ratio) expect(Number.isFinite(result.ratio.value)).toBe(true);
    },
  );
});
