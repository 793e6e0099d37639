import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian packages the test suite needs, by the command (or, for data packages, the file) each provides. */
export const REQUIRED_TOOLS: ReadonlyArray<
  { command: string; debianPackage: string } | { file: string; debianPackage: string }
> = [
  { command: 'socat', debianPackage: 'socat' },
  { command: 'mosquitto', debianPackage: 'mosquitto' },
  { command: 'openssl', debianPackage: 'openssl' },
  // The customer screen's browser tests (test/screen) and the CJK fonts its screenshots need.
  { command: 'chromium', debianPackage: 'chromium' },
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', debianPackage: 'fonts-noto-cjk' },
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
  const present = (tool: (typeof REQUIRED_TOOLS)[number]) =>
    'file' in tool ? existsSync(tool.file) : hasCommand(tool.command);
  const missing = REQUIRED_TOOLS.filter((tool) => !present(tool));
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
  const still = missing.filter((tool) => !present(tool)).map((tool) => tool.debianPackage);
  if (still.length > 0) throw new Error(`missing tools after apt-get install: ${still.join(', ')}`);
}
