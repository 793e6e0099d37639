import { argumentError, type ServiceCommand } from '../service-command.js';

/** `<denomination in fen>=<count>`, e.g. `10000=3` for three 100-yuan notes. */
export const COUNT_ARG = /^(\d{1,9})=(\d{1,6})$/;

/** Notes counted by hand as the technician types them; a word that is not `<fen>=<count>` is named. */
export function parseCountArgs(
  command: ServiceCommand,
  pairs: readonly string[],
): Array<{ denomination: number; count: number }> {
  if (pairs.length === 0) throw argumentError(command, 'name at least one denomination and its count');
  return pairs.map((pair) => {
    const match = COUNT_ARG.exec(pair);
    if (!match) throw argumentError(command, `"${pair.slice(0, 40)}" is not <fen>=<count>`);
    return { denomination: Number(match[1]), count: Number(match[2]) };
  });
}
