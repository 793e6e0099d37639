import { readFileSync } from 'node:fs';

/** A group's id from /etc/group (node has no getgrnam); undefined when there is no such group. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
