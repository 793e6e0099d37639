import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchResult } from './bench-result.js';

/**
 * `npm run bench [-- --smoke] [-- --only NAME]`: runs every `bench/*.bench.ts` in turn (never in
 * parallel: they measure the same two cores), prints each one's figures and the ratio it is
 * judged by, and exits 1 if a ratio misses its target. `--smoke` runs each for a moment, so
 * CI proves they still work without judging their figures.
 */
interface BenchModule {
  run(options: { smoke?: boolean }): Promise<BenchResult>;
}

export function benchFiles(): string[] {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  return readdirSync(dir)
    .filter((name) => name.endsWith('.bench.ts'))
    .sort()
    .map((name) => `${dir}${name}`);
}

export async function runBench(file: string, smoke: boolean): Promise<BenchResult> {
  const module = (await import(pathToFileURL(file).href)) as Partial<BenchModule>;
  if (typeof module.run !== 'function') throw new Error(`${file} exports no run() function`);
  return module.run({ smoke });
}

function print(result: BenchResult, smoke: boolean): void {
  console.log(`\n== ${result.name}`);
  for (const [key, value] of Object.entries(result.figures)) console.log(`   ${key.padEnd(44)} ${value}`);
  if (result.ratio) {
    const verdict = smoke ? 'smoke: not judged' : result.ratio.pass ? 'PASS' : 'FAIL';
    console.log(
      `   ratio ${result.ratio.name} = ${result.ratio.value.toFixed(3)} (target ${result.ratio.target}) ${verdict}`,
    );
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { smoke: { type: 'boolean' }, only: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const smoke = values.smoke === true || process.env['BENCH_SMOKE'] === '1';
  const files = benchFiles().filter((file) => values.only === undefined || file.includes(values.only));
  if (files.length === 0) {
    console.error(`bench: no benchmark matches "${values.only}"`);
    return 2;
  }
  const results: BenchResult[] = [];
  let failed = 0;
  for (const file of files) {
    const result = await runBench(file, smoke);
    results.push(result);
    if (!values.json) print(result, smoke);
    if (!smoke && result.ratio && !result.ratio.pass) failed++;
  }
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else console.log(`\n${results.length} benchmarks${smoke ? ' (smoke)' : ''}, ${failed} below target`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
