import type { CollectionService } from '../../collection/collection-service.js';
import { argumentError, type ServiceCommand } from '../service-command.js';
import { failingAs, ServiceError } from '../service-error.js';
import { COUNT_ARG, parseCountArgs } from './count-args.js';

const COLLECTION_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The open collection's id: the technician never has to type a ULID from the slip. */
function openCollectionId(collections: CollectionService, command: ServiceCommand, given?: string): string {
  if (given !== undefined) {
    if (!COLLECTION_ID.test(given)) {
      throw argumentError(command, `"${given.slice(0, 40)}" is not a collection id (26 characters, ULID)`);
    }
    return given;
  }
  const open = collections.current();
  if (open === null)
    throw new ServiceError('notFound', 'no collection is open; start one with collection-start');
  return open.collectionId;
}

/**
 * Cash collection after XFS4IoT Storage exchange, as the technician types it: start (kiosk out of
 * service), the counted notes per denomination, the slip, end (counters from zero, back in
 * service). The steps, their checks and the journal records are the CollectionService's.
 */
export function collectionCommands(collections: CollectionService): ServiceCommand[] {
  const show: ServiceCommand = {
    name: 'collection',
    usage: '',
    summary: 'the open collection (expected per denomination) and the last ones',
    needsActive: false,
    maxArgs: 0,
    async run() {
      return { open: collections.current(), recent: collections.recent(5) };
    },
  };
  const start: ServiceCommand = {
    name: 'collection-start',
    usage: '',
    summary: 'start a cash collection: the kiosk goes out of service, the box may come out',
    needsActive: true,
    maxArgs: 0,
    run: (context) => failingAs('refused', 'collection-start', () => collections.start(context.technician)),
  };
  const count: ServiceCommand = {
    name: 'collection-count',
    usage: '<fen>=<count> ... [collectionId]',
    summary: 'enter the notes counted by hand, per denomination in fen (10000=3 is three 100-yuan notes)',
    needsActive: true,
    maxArgs: 16,
    async run(context, args) {
      const given = args.at(-1) !== undefined && !COUNT_ARG.test(args.at(-1)!) ? args.at(-1) : undefined;
      const pairs = given === undefined ? args : args.slice(0, -1);
      const counts = parseCountArgs(count, pairs);
      const id = openCollectionId(collections, count, given);
      return failingAs('refused', 'collection-count', () =>
        collections.enterCounts(id, counts, context.technician),
      );
    },
  };
  const slip: ServiceCommand = {
    name: 'collection-receipt',
    usage: '[collectionId]',
    summary: 'print the collection slip (counts, expected, difference)',
    needsActive: true,
    maxArgs: 1,
    async run(context, args) {
      const id = openCollectionId(collections, slip, args[0]);
      return failingAs('refused', 'collection-receipt', () =>
        collections.printReceipt(id, context.technician),
      );
    },
  };
  const end: ServiceCommand = {
    name: 'collection-end',
    usage: '[collectionId]',
    summary: 'the empty box is in: end the collection, counters from zero, the mode before comes back',
    needsActive: true,
    maxArgs: 1,
    async run(context, args) {
      const id = openCollectionId(collections, end, args[0]);
      return failingAs('refused', 'collection-end', () => collections.end(id, context.technician));
    },
  };
  return [show, start, count, slip, end];
}
