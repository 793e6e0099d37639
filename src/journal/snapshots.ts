import type { JournalConnection } from './journal-connection.js';
import * as check from './validate.js';

/** Persisted snapshots of running state machines, so a restart resumes where it stopped. */
export class JournalSnapshots {
  constructor(private readonly c: JournalConnection) {}

  /** Replaces the persisted snapshot of a running machine (e.g. "topUp"); durable on return. */
  save(machine: string, input: { version: number; snapshot: Record<string, unknown> }): void {
    const name = check.text('machine', machine, 64);
    const version = check.integer('version', input?.version, 1);
    const snapshot = JSON.stringify(check.jsonObject('snapshot', input.snapshot));
    this.c.write('saveMachineSnapshot', () => {
      this.c.st.saveSnapshot.run(name, version, snapshot, this.c.now());
    });
  }

  get(machine: string): { version: number; snapshot: Record<string, unknown>; updatedAt: string } | null {
    const name = check.text('machine', machine, 64);
    return this.c.read('machineSnapshot', () => {
      const row = this.c.st.snapshot.get(name) as
        | { version: number; snapshot: string; updated_at: string }
        | undefined;
      if (!row) return null;
      return {
        version: row.version,
        snapshot: JSON.parse(row.snapshot) as Record<string, unknown>,
        updatedAt: row.updated_at,
      };
    });
  }

  /** The machine ended (or recovery settled it); true when there was a snapshot to delete. */
  delete(machine: string): boolean {
    const name = check.text('machine', machine, 64);
    return this.c.write('deleteMachineSnapshot', () => this.c.st.deleteSnapshot.run(name).changes === 1);
  }
}
