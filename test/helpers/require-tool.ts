import { execFileSync } from 'node:child_process';

/**
 * Fails a test that needs an external command with one line saying what to install,
 * instead of a confusing spawn error (or a silent skip) further down.
 */
export function requireTool(name: string, debianPackage: string = name): void {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
  } catch {
    throw new Error(`missing tool: ${name} (apt-get install ${debianPackage})`);
  }
}
