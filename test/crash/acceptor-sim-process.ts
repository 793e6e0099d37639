import type { CashboxSnapshot, LedgerEntry } from '../../simulators/id003/cashbox-ledger.js';
import { requireTool } from '../helpers/require-tool.js';
import { JsonLineProcess } from './json-line-process.js';

/**
 * `kioskd sim id003 --pty --timing fast` as its own process: the acceptor outlives every daemon
 * the crash harness kills, with its cashbox ledger as the ground truth of what went in.
 */
export class AcceptorSimProcess {
  readonly path: string;
  readonly controlUrl: string;
  readonly #process: JsonLineProcess;

  private constructor(process: JsonLineProcess, path: string, controlUrl: string) {
    this.#process = process;
    this.path = path;
    this.controlUrl = controlUrl;
  }

  static async start(options: { ptyDir: string; seed: number }): Promise<AcceptorSimProcess> {
    requireTool('socat');
    const child = new JsonLineProcess([
      'sim',
      'id003',
      '--pty',
      '--pty-dir',
      options.ptyDir,
      '--timing',
      'fast',
      '--seed',
      String(options.seed),
      '--log-level',
      'warn',
    ]);
    try {
      const ready = await child.waitFor('the simulator ready line', (l) => l['event'] === 'ready', 20_000);
      return new AcceptorSimProcess(child, String(ready['path']), String(ready['control']));
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  get running(): boolean {
    return this.#process.running;
  }

  /** Runs one control action; a refused one throws with the simulator's error. */
  async control(command: Record<string, unknown>): Promise<unknown> {
    const response = await fetch(`${this.controlUrl}/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(command),
    });
    const body = (await response.json()) as {
      ok: boolean;
      result?: unknown;
      error?: { code: number; message: string };
    };
    if (!body.ok) {
      const error = new Error(`simulator refused ${JSON.stringify(command)}: ${body.error?.message}`);
      Object.assign(error, { code: body.error?.code, status: response.status });
      throw error;
    }
    return body.result;
  }

  async ledger(): Promise<LedgerEntry[]> {
    return (await this.control({ action: 'ledger' })) as LedgerEntry[];
  }

  /** The model's phase and status (e.g. idle / idling, off / null). */
  async model(): Promise<{ phase: string; status: string | null; note: unknown }> {
    const response = await fetch(`${this.controlUrl}/state`);
    const body = (await response.json()) as {
      model: { phase: string; status: string | null; note: unknown };
    };
    return body.model;
  }

  /** The cashbox as the unit has it: present, its notes by denomination, the boxes emptied so far. */
  async cashbox(): Promise<CashboxSnapshot> {
    const response = await fetch(`${this.controlUrl}/state`);
    return ((await response.json()) as { model: { cashbox: CashboxSnapshot } }).model.cashbox;
  }

  stderrTail(): string {
    return this.#process.stderrTail();
  }

  async stop(): Promise<void> {
    await this.#process.stop();
  }
}
