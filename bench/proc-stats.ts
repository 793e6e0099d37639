import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and memory of another process (the daemon, the broker), read from /proc: Linux
 * only, like the kiosks.
 */

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux the kiosks run). */
export function clockTicksPerSecond(): number {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
}

/** utime + stime of a process in microseconds, at the resolution of a clock tick. */
export function cpuMicros(pid: number, ticksPerSecond: number): number {
  return (cpuTicks(pid) * 1_000_000) / ticksPerSecond;
}

/** One field of /proc/<pid>/status in bytes: VmRSS, or its parts RssAnon and RssFile. */
export function statusBytes(pid: number, field = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) * 1024;
}
