import type { JournalConnection } from './journal-connection.js';
import * as check from './validate.js';

/** Fleet command ids already processed: replay protection that survives restarts. */
export class JournalCommands {
  constructor(private readonly c: JournalConnection) {}

  /** Replay protection: true only the first time a command id is seen. */
  remember(input: { cmdId: string; action?: string }): { firstSeen: boolean } {
    const cmdId = check.text('cmdId', input?.cmdId, 128);
    const action = check.optionalText('action', input.action, 64);
    return this.c.write('rememberCommand', () => ({
      firstSeen: this.c.st.rememberCommand.run(cmdId, action, this.c.now()).changes === 1,
    }));
  }

  /** Command ids older than any command's expiry can go: freshness rejects those replays already. */
  prune(olderThan: Date): number {
    const before = check.date('olderThan', olderThan).toISOString();
    return this.c.write('pruneCommandIds', () => this.c.st.pruneCommands.run(before).changes);
  }
}
