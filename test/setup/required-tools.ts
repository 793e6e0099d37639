import { execFileSync } from 'node:child_process';

/** Debian packages the test suite needs, by the command each provides. */
export const REQUIRED_TOOLS: ReadonlyArray<{ command: string; debianPackage: string }> = [
  { command: 'socat', debianPackage: 'socat' },
  { command: 'mosquitto', debianPackage: 'mosquitto' },
  { command: 'openssl', debianPackage: 'openssl' },
];

export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs what is missing when we are root (CI and the developers' machines), otherwise
 * stops with one line naming what to install: a test that needs a tool never skips silently.
 */
export function ensureRequiredTools(log: (line: string) => void = () => {}): void {
  const missing = REQUIRED_TOOLS.filter((tool) => !hasCommand(tool.command));
  if (missing.length === 0) return;
  const packages = missing.map((tool) => tool.debianPackage);
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing tools: ${packages.join(', ')} — install them with: sudo apt-get install ${packages.join(' ')}`,
    );
  }
  log(`installing Debian packages the tests need: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'ignore', env });
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'ignore', env });
  }
  const still = missing.filter((tool) => !hasCommand(tool.command)).map((tool) => tool.debianPackage);
  if (still.length > 0) throw new Error(`missing tools after apt-get install: ${still.join(', ')}`);
}
