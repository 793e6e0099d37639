import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openJournal, tempDir } from './temp-journal.js';

const fixture = fileURLToPath(new URL('./fixtures/credit-forever.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the child until it has reported `lines` completed calls, then SIGKILLs it mid-work. */
function runAndKill(path: string, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reported: string[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      reported.push(...parts);
      if (!killed && reported.length >= lines) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else
        reject(new Error(`child exited with ${code ?? signal} before being killed: ${stderr.slice(0, 500)}`));
    });
  });
}

describe('crash durability', () => {
  it('keeps every credit and payment whose call returned before SIGKILL', async () => {
    const path = join(tempDir(), 'journal.sqlite');
    const reported = await runAndKill(path, 40);

    const journal = openJournal(path, { kioskId: 'K-CRASH' });
    const credited = reported.filter((l) => l.startsWith('credited ')).map((l) => l.slice(9));
    const paid = reported.filter((l) => l.startsWith('paid ')).map((l) => l.slice(5));
    expect(credited.length).toBeGreaterThan(20);
    expect(paid.length).toBeGreaterThan(5);
    for (const noteId of credited) expect(journal.notes.get(noteId).state).toBe('credited');
    for (const paymentId of paid) expect(journal.payments.get(paymentId).amount).toBe(3_000);

    // Whatever the kill interrupted is either fully there or not at all, and nothing is lost.
    expect(journal.checkConservation()).toEqual([]);
    const summary = journal.summary();
    expect(summary.lastSeq).toBe(summary.payments);
    expect(summary.outboxPending).toBe(summary.payments);
    expect(summary.creditedNotes).toBeGreaterThanOrEqual(credited.length);
  });
});
