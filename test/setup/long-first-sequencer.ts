import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that run for minutes (the 200-kill crash harness, the benchmark smoke). On a clean clone
 * vitest has no timings and starts larger files first, so these small files came last and ran
 * alone after everything else; started first, they overlap the rest of the suite on the other
 * worker instead.
 */
const LONG_RUNNING = ['test/crash/crash.test.ts', 'test/bench/bench-smoke.test.ts'];

function longRank(file: TestSpecification): number {
  const path = file.moduleId.replaceAll('\\', '/');
  const rank = LONG_RUNNING.findIndex((suffix) => path.endsWith(suffix));
  return rank === -1 ? LONG_RUNNING.length : rank;
}

export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: the base order holds among the rest.
    return sorted.sort((a, b) => longRank(a) - longRank(b));
  }
}
