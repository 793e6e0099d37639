import type { PrinterCondition, PrintFailureReason } from '../printer-status.js';

/**
 * The fault in a condition that stops a job, or undefined when it may go on. Near end is a
 * warning; `offline` alone (feeding by button, an error that clears itself) is waited out, under
 * the job's stall timeout.
 */
export function jobStoppingFault(condition: PrinterCondition): PrintFailureReason | undefined {
  if (condition.cutterError) return 'cutterJam';
  if (condition.coverOpen) return 'coverOpen';
  if (condition.paper === 'out') return 'paperOut';
  if (condition.unrecoverableError) return 'offline';
  return undefined;
}
