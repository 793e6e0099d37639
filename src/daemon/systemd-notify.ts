import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';

/**
 * sd_notify for Type=notify units. Node has no unix datagram sockets, so the messages go
 * through systemd-notify(1); the unit sets NotifyAccess=all because that child is not our PID.
 * Outside systemd (no NOTIFY_SOCKET) everything here does nothing.
 */
export interface SystemdNotifier {
  ready(): void;
  stopping(): void;
  close(): void;
}

function send(logger: Logger, args: string[]): void {
  execFile('systemd-notify', args, { timeout: 2_000 }, (error) => {
    if (error) logger.warn({ err: error, args }, 'systemd-notify failed');
  });
}

export function startSystemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  if (!env['NOTIFY_SOCKET']) return { ready() {}, stopping() {}, close() {} };
  const watchdogUsec = Number(env['WATCHDOG_USEC'] ?? 0);
  // Ping at half the period: a hung event loop stops the timer, the pings stop, and systemd
  // restarts the daemon. A live loop with dead devices keeps pinging: devices have their own
  // reconnect logic and a restart would not help them.
  const timer =
    watchdogUsec > 0
      ? setInterval(() => send(logger, ['WATCHDOG=1']), Math.max(500, watchdogUsec / 2_000))
      : undefined;
  timer?.unref();
  return {
    ready: () => send(logger, ['--ready', `--pid=${process.pid}`]),
    stopping: () => send(logger, ['STOPPING=1']),
    close: () => {
      if (timer) clearInterval(timer);
    },
  };
}
