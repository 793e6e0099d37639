import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';

/**
 * Child process of collection-crash.test.ts: money writes and cash collection steps on one
 * journal as fast as it can, until SIGKILLed. Resumes an open collection as the daemon does.
 * argv: journal path, seed. Prints one JSON line per committed step.
 */
const [path, seedText] = process.argv.slice(2);
if (path === undefined || seedText === undefined) {
  process.stderr.write('usage: collection-crash-worker <journal> <seed>\n');
  process.exit(2);
}
let seed = Number(seedText) >>> 0;
/** mulberry32: the parent's seed decides the choices. */
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const TAKES = [1_000, 2_000, 5_000, 10_000];
const pick = () => TAKES[Math.floor(random() * TAKES.length)]!;
const DEVICE = 'cashAcceptor';

const journal = Journal.open({ path, kioskId: 'K-CRASH', logger: silentLogger() });
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
// What a kill left mid-top-up is settled first, as start-up recovery does: the note in escrow
// was not stacked (voided), the credited notes of an open transaction become its payment.
for (const note of journal.notes.pendingEscrowIntents())
  journal.notes.voidIntent({ noteId: note.noteId, reason: 'crash test restart' });
for (const tx of journal.transactions.unfinished())
  journal.payments.commit({ txId: tx.txId, kind: 'partial', receipt: false });
say({ step: 'ready', open: journal.collections.open()?.state ?? null });

for (;;) {
  const open = journal.collections.open();
  const r = random();
  if (open === null && r < 0.6) {
    const tx = journal.transactions.open({ account: '13700000000', limits: { maxAmount: 1_000_000 } });
    const notes = 1 + Math.floor(random() * 3);
    for (let i = 0; i < notes; i++) {
      const noteId = journal.notes.recordEscrowIntent({
        txId: tx.txId,
        device: DEVICE,
        escrowCode: 'c',
        denomination: pick(),
      });
      journal.notes.commitCredit({ noteId });
    }
    journal.payments.commit({ txId: tx.txId, kind: 'complete', receipt: false });
    say({ step: 'payment' });
  } else if (open === null && r < 0.65) {
    journal.orphans.record({ device: DEVICE, denomination: pick(), reason: 'power-up' });
    say({ step: 'orphan' });
  } else if (open === null) {
    const c = journal.collections.start({ device: DEVICE, technician: 'T-01', denominations: TAKES });
    say({ step: 'started', collectionId: c.collectionId });
  } else if (open.state === 'started' || r < 0.3) {
    const counts = TAKES.filter(() => random() < 0.8).map((denomination) => ({
      denomination,
      count: Math.floor(random() * 6),
    }));
    journal.collections.enterCounts({ collectionId: open.collectionId, counts, technician: 'T-01' });
    say({ step: 'counted', collectionId: open.collectionId });
  } else {
    const ended = journal.collections.end({ collectionId: open.collectionId, technician: 'T-02' });
    say({ step: 'ended', collectionId: ended.collectionId, seq: ended.seq });
  }
}
