import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

/** A kiosk config whose journal lives in a fresh directory. */
function kiosk(): { dir: string; config: string; journal: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-journal-cli-'));
  dirs.push(dir);
  const config = join(dir, 'kiosk.yaml');
  writeFileSync(config, `kioskId: K-7\ndataDir: ${JSON.stringify(join(dir, 'data'))}\n`);
  return { dir, config, journal: join(dir, 'data', 'journal.sqlite') };
}

function openAs(path: string, kioskId = 'K-7'): Journal {
  return Journal.open({ path, kioskId, logger: silentLogger() });
}

describe('kioskd journal init', () => {
  it('moves an empty journal aside with --force, starts a fresh one and audits the move', async () => {
    const { config, journal } = kiosk();
    const refusedBefore = await runCli(['journal', 'init', '--config', config]);
    expect(refusedBefore.status).toBe(0);
    writeFileSync(journal, '');

    const withoutForce = await runCli(['journal', 'init', '--config', config]);
    expect(withoutForce.status).toBe(1);
    expect(withoutForce.err).toHaveLength(1);
    expect(withoutForce.err[0]).toContain('exists');
    expect(statSync(journal).size).toBe(0);

    const r = await runCli(['journal', 'init', '--config', config, '--force']);
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
    const aside = readdirSync(join(journal, '..')).filter((f) => f.startsWith('journal.sqlite.refused-'));
    expect(aside).toHaveLength(1);
    const movedTo = join(journal, '..', aside[0]!);
    expect(statSync(movedTo).size).toBe(0);
    expect(r.out[0]).toContain(movedTo);

    const fresh = openAs(journal);
    const replaced = fresh.audit.tail(10).find((e) => e.action === 'journal.replaced');
    fresh.close();
    expect(replaced).toBeDefined();
    expect(replaced!.actor).toMatch(/^cli:/);
    expect(replaced!.details).toMatchObject({ movedFrom: journal, movedTo });
    expect(String(replaced!.details['refusal'])).toContain('empty');
  });

  it('moves a SQLite file without the journal schema aside, keeping its bytes', async () => {
    const { config, journal } = kiosk();
    await runCli(['journal', 'init', '--config', config]);
    rmSync(journal);
    const raw = new Database(journal);
    raw.exec('CREATE TABLE unrelated (x INTEGER)');
    raw.close();
    const bytes = readFileSync(journal);

    const r = await runCli(['journal', 'init', '--config', config, '--force']);
    expect(r.status).toBe(0);
    const aside = readdirSync(join(journal, '..')).find((f) => /^journal\.sqlite\.refused-[0-9TZ]+$/.test(f));
    expect(readFileSync(join(journal, '..', aside!)).equals(bytes)).toBe(true);
    const fresh = openAs(journal);
    expect(fresh.audit.tail(10).map((e) => e.action)).toEqual(
      expect.arrayContaining(['journal.created', 'journal.replaced']),
    );
    fresh.close();
  });

  it('never replaces a journal that opens cleanly, even with --force', async () => {
    const { config, journal } = kiosk();
    expect((await runCli(['journal', 'init', '--config', config])).out[0]).toContain('journal created');
    const before = readFileSync(journal);
    const r = await runCli(['journal', 'init', '--config', config, '--force']);
    expect(r.status).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain('opens cleanly');
    expect(readdirSync(join(journal, '..'))).toEqual(['journal.sqlite']);
    expect(readFileSync(journal).equals(before)).toBe(true);
  });

  it('answers --help and refuses bad usage with one line and exit 2', async () => {
    for (const args of [
      ['journal', '--help'],
      ['journal', 'init', '--help'],
    ]) {
      const help = await runCli(args);
      expect(help.status).toBe(0);
      expect(help.out.join('\n')).toContain('--force');
    }
    for (const args of [
      ['journal'],
      ['journal', 'wipe'],
      ['journal', 'init'],
      ['journal', 'init', '--config'],
    ]) {
      const r = await runCli(args);
      expect(r.status).toBe(2);
      expect(r.err).toHaveLength(1);
    }
  });

  it('is listed in kioskd --help', async () => {
    expect((await runCli(['--help'])).out.join('\n')).toMatch(/\n {2}journal +create the journal/);
  });
});
