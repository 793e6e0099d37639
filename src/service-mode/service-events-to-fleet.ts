import type { FleetLink } from '../fleet-link/fleet-link.js';
import type { Logger } from '../log.js';
import type { ServiceActionEvent, ServiceMode } from './service-mode.js';

/** Every technician action goes to the fleet on `event` (QoS 1); returns the detach. */
export function forwardServiceEvents(
  service: ServiceMode,
  link: Pick<FleetLink, 'publishServiceEvent'>,
  logger: Logger,
): () => void {
  const forward = (event: ServiceActionEvent) => {
    try {
      link.publishServiceEvent({
        ts: event.ts,
        technician: event.technician,
        action: event.action,
        args: [...event.args],
        outcome: event.outcome,
        ...(event.error === undefined ? {} : { error: event.error.slice(0, 500) }),
      });
    } catch (error) {
      logger.error({ err: error, action: event.action }, 'service event not forwarded to the fleet');
    }
  };
  service.on('action', forward);
  return () => service.off('action', forward);
}
