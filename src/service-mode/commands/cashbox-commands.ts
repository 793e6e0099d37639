import type { CashboxReconciliation } from '../../collection/cashbox-reconciliation.js';
import type { ServiceCommand } from '../service-command.js';
import { failingAs } from '../service-error.js';
import { parseCountArgs } from './count-args.js';

/**
 * The cashbox outside a collection: a technician who recounted the box (after a discrepancy,
 * or when the counters were marked inaccurate at start-up) makes the counters true again.
 */
export function cashboxCommands(reconciliation: CashboxReconciliation): ServiceCommand[] {
  const reconcile: ServiceCommand = {
    name: 'cashbox-reconcile',
    usage: '<fen>=<count> ...',
    summary:
      'the box recounted by hand: the counts become the counters (accurate again) and the counters-may-be-wrong alerts clear',
    needsActive: true,
    maxArgs: 16,
    async run(context, args) {
      const counts = parseCountArgs(reconcile, args);
      return failingAs('refused', 'cashbox-reconcile', () =>
        reconciliation.reconcile(counts, context.technician),
      );
    },
  };
  return [reconcile];
}
