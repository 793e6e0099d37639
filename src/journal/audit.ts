import type { JournalConnection } from './journal-connection.js';
import type { AuditEntry } from './journal-types.js';
import type { AuditRow } from './rows.js';
import * as check from './validate.js';

/** The journal's audit trail: who changed what, in the same commit as the change itself. */
export class JournalAudit {
  constructor(private readonly c: JournalConnection) {}

  append(actor: string, action: string, details: Record<string, unknown> = {}): number {
    const who = check.text('actor', actor, 64);
    const what = check.text('action', action, 64);
    const data = check.jsonObject('details', details);
    return this.c.write('audit', () => this.appendInTransaction(who, what, data));
  }

  /** The last n audit entries, oldest first. */
  tail(n: number): AuditEntry[] {
    const limit = check.integer('n', n, 1);
    return this.c.read('auditTail', () =>
      (this.c.st.auditTail.all(limit) as AuditRow[]).map((r) => ({
        id: r.id,
        ts: r.ts,
        actor: r.actor,
        action: r.action,
        details: JSON.parse(r.details) as Record<string, unknown>,
      })),
    );
  }

  /** For other concerns' writes: the entry commits (or rolls back) with the change it records. */
  appendInTransaction(actor: string, action: string, details: Record<string, unknown>): number {
    return Number(
      this.c.st.insertAudit.run(this.c.now(), actor, action, JSON.stringify(details)).lastInsertRowid,
    );
  }
}
