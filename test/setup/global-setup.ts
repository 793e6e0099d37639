import { ensureRequiredTools } from './required-tools.js';

export default function setup(): void {
  ensureRequiredTools((line) => console.log(line));
}
