import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { tempJournal } from './temp-journal.js';

describe('audit log', () => {
  it('appends entries and returns the tail oldest first', () => {
    const { journal } = tempJournal();
    for (let i = 0; i < 5; i++) journal.audit.append('tech-wang', 'service.test', { step: i });
    const tail = journal.audit.tail(3);
    expect(tail.map((e) => e.details)).toEqual([{ step: 2 }, { step: 3 }, { step: 4 }]);
    expect(tail.every((e) => e.actor === 'tech-wang' && e.action === 'service.test')).toBe(true);
    expect(tail[0]!.id).toBeLessThan(tail[2]!.id);
  });

  it('refuses UPDATE and DELETE of audit rows at the database level', () => {
    const { journal, path } = tempJournal();
    journal.audit.append('fleet', 'cmd.rejected', { cmdId: 'c-1', why: 'bad signature' });
    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE audit_log SET actor = 'nobody'").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    raw.close();
    expect(journal.audit.tail(1)[0]).toMatchObject({ actor: 'fleet', details: { cmdId: 'c-1' } });
  });

  it('rejects details that are not a plain JSON object', () => {
    const { journal } = tempJournal();
    const count = journal.summary().auditEntries;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const details of [cyclic, [1, 2], null]) {
      expect(() => journal.audit.append('x', 'y', details as Record<string, unknown>)).toThrow(
        expect.objectContaining({ code: ErrorCode.JournalBadInput }),
      );
    }
    expect(() => journal.audit.append('', 'y', {})).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
    expect(journal.summary().auditEntries).toBe(count);
  });

  it('remembers fleet command ids for replay protection', () => {
    let t = Date.parse('2025-06-01T00:00:00Z');
    const { journal } = tempJournal({ clock: () => new Date(t) });
    expect(journal.commands.remember({ cmdId: 'cmd-1', action: 'setMode' })).toEqual({ firstSeen: true });
    expect(journal.commands.remember({ cmdId: 'cmd-1', action: 'setMode' })).toEqual({ firstSeen: false });
    t += 3_600_000;
    journal.commands.remember({ cmdId: 'cmd-2' });
    expect(journal.commands.prune(new Date(t - 1000))).toBe(1);
    expect(journal.commands.remember({ cmdId: 'cmd-2' })).toEqual({ firstSeen: false });
    expect(() => journal.commands.prune(new Date(Number.NaN))).toThrow(
      expect.objectContaining({ code: ErrorCode.JournalBadInput }),
    );
  });
});
