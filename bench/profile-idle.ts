import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchPollIntervalMs,
  IDLE_SETTLE_MS,
  serveId003,
  startIdleDaemon,
  terminate,
  unitChildEnvironment,
} from './idle-daemon.js';

/**
 * `tsx bench/profile-idle.ts [--seconds 60] [--top 25] [--keep]`: where an idle daemon's CPU goes.
 * Runs the compiled daemon as the idle-cpu bench does (systemd unit environment, an ID-003
 * simulator on a pty) with V8's sampling profiler (--cpu-prof), lets it settle, and prints the
 * functions with the most self time over the window, then the same by module, each as a share
 * of the samples the daemon was busy (idle samples left out). `--keep` keeps the .cpuprofile for
 * Chrome DevTools. Not a bench: the profiler's own cost is in the figures, so it ranks, it does
 * not measure.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  /** Microseconds between consecutive samples; the first is from startTime. */
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** 250 µs: an idle poll costs well under a millisecond of CPU, the default 1 ms sees little of it. */
const SAMPLE_INTERVAL_US = 250;
/** Frames V8 reports that are not JavaScript functions. */
const IDLE = '(idle)';

function where(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith('node:')) return path;
  const rel = relative(ROOT, path);
  const modules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  return modules ? `npm:${modules[1]}` : rel;
}

function nameOf(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'} ${where(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

/** Self time per function and per module over the samples taken after `fromUs` (profile clock). */
function summarise(profile: CpuProfile, fromUs: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const modules = new Map<string, number>();
  let at = profile.startTime;
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs) return;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === IDLE) {
      idle++;
      return;
    }
    busy++;
    const module = where(frame.url);
    functions.set(nameOf(frame), (functions.get(nameOf(frame)) ?? 0) + 1);
    modules.set(module, (modules.get(module) ?? 0) + 1);
    // Each function on the stack once, however deep it recurses.
    const onStack = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const callFrame = byId.get(node)?.callFrame;
      if (callFrame && callFrame.functionName !== '(root)') onStack.add(nameOf(callFrame));
    }
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
  });
  return { functions, inclusive, modules, busy, idle };
}

function printTop(title: string, counts: Map<string, number>, busy: number, top: number): void {
  console.log(`\n${title}`);
  const rows = [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, count] of rows) {
    console.log(
      `  ${((count / busy) * 100).toFixed(1).padStart(5)} %  ${String(count).padStart(6)}  ${name}`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      top: { type: 'string', default: '25' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const top = Number(values.top);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(`--seconds must be a whole number from 1 to 3600, got ${values.seconds}`);
  }
  if (!Number.isInteger(top) || top < 1)
    throw new Error(`--top must be a positive whole number, got ${values.top}`);
  const dir = mkdtempSync(join(tmpdir(), 'kioskd-profile-idle-'));
  const profileDir = join(dir, 'profile');
  const served = await serveId003(join(dir, 'pty'));
  try {
    const daemon = await startIdleDaemon({
      dir,
      port: served.hostPath,
      pollIntervalMs: benchPollIntervalMs(),
      env: unitChildEnvironment(),
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-interval=${SAMPLE_INTERVAL_US}`],
    });
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    // The profile's clock is the daemon's monotonic clock, as this process's hrtime is.
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const framesBefore = served.framesIn();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const polls = served.framesIn() - framesBefore;
    // A clean exit writes the profile.
    await terminate(daemon);
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the daemon wrote no .cpuprofile in ${profileDir} (did it exit cleanly?)`);
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    const summary = summarise(profile, fromUs);
    const endUs = profile.startTime + profile.timeDeltas.reduce((a, b) => a + b, 0);
    if (fromUs < profile.startTime || fromUs > endUs) {
      throw new Error(
        "the profile does not cover the window: its clock is not this process's monotonic clock",
      );
    }
    console.log(
      `idle daemon, ${seconds} s after ${IDLE_SETTLE_MS / 1000} s settling: ${polls} polls answered, ` +
        `${summary.busy} busy and ${summary.idle} idle samples at ${SAMPLE_INTERVAL_US} µs ` +
        `(${((summary.busy * SAMPLE_INTERVAL_US) / 1000 / Math.max(polls, 1)).toFixed(3)} ms busy per poll)`,
    );
    if (summary.busy === 0) throw new Error('no busy samples in the window: nothing to rank');
    printTop('self time by function (share of busy samples)', summary.functions, summary.busy, top);
    printTop('self time by module', summary.modules, summary.busy, top);
    printTop('total time by function (callees included)', summary.inclusive, summary.busy, top);
    if (values.keep) console.log(`\nprofile kept: ${join(profileDir, file)}`);
  } finally {
    await served.close();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
