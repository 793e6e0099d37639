import { parseArgs } from 'node:util';
import { type CrashProgress, runCrashHarness } from './crash-harness.js';

/**
 * `npm run soak:crash -- --kills N [--seed S]`: the crash harness for as long as you like.
 * Prints a progress line every 100 kills and a summary with the figures; exits 1 on the first
 * violation of invariant 1, printing the seed and the kill history that led to it.
 * `--lanes N` (default 2) runs N independent kiosks side by side.
 */

function line(p: CrashProgress): string {
  const f = p.figures;
  return [
    `kills ${p.kills}`,
    `power cuts ${p.powerCuts}`,
    `top-ups ${p.topUps}`,
    `notes inserted ${p.notesInserted}`,
    `in cashbox ${f.ledgerNotes} = credited ${f.creditedNotes}`,
    `payments ${f.payments}`,
    `orphans ${f.orphanCredits}`,
    `collections ${f.collectionsEnded} ended (${p.collectionsStarted} started, ${f.discrepancies} with a discrepancy, ${p.miscounts} miscounted on purpose, ${(p.collectionMs / 1000).toFixed(1)} s)`,
    `kills inside collections ${p.collectionKills}`,
    `violations ${p.violations}`,
    `ready in ${p.meanReadyMs} ms`,
    `${(p.elapsedMs / 1000).toFixed(0)} s`,
  ]
    .filter(Boolean)
    .join(', ');
}

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    lanes: { type: 'string', default: '2' },
  },
  strict: true,
});
const kills = Number(values.kills);
const lanes = Number(values.lanes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 0xffff_ffff) : Number(values.seed);
if (!Number.isSafeInteger(kills) || kills < 1) {
  console.error(`--kills expects a whole number >= 1, got "${values.kills}"`);
  process.exit(2);
}
if (!Number.isSafeInteger(lanes) || lanes < 1 || lanes > 8) {
  console.error(`--lanes expects a whole number from 1 to 8, got "${values.lanes}"`);
  process.exit(2);
}
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
  console.error(`--seed expects a whole number from 0 to 4294967295, got "${values.seed}"`);
  process.exit(2);
}

console.log(`soak:crash: ${kills} kills, seed ${seed}, ${lanes} lanes`);
const summary = await runCrashHarness({
  kills,
  seed,
  lanes,
  progressEvery: 100,
  onProgress: (p) => console.log(line(p)),
});
console.log(`summary: ${line(summary)}`);
console.log(`kills by window: ${JSON.stringify(summary.fired)}`);
if (summary.failures.length > 0) {
  console.log(`FAILED: seed ${seed}, ${lanes} lanes; journals kept in ${summary.dir}`);
  for (const failure of summary.failures) {
    console.log(`lane ${failure.lane}, after its kill ${failure.afterKill}:`);
    for (const v of failure.violations) console.log(`  ${v.rule}: ${v.message}`);
  }
  console.log('kill history (latest last):');
  for (const k of summary.history) console.log(`  ${JSON.stringify(k)}`);
  process.exit(1);
}
