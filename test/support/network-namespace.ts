import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(args: string[]): { ok: boolean; error: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) return { ok: false, error: r.error.message };
  return { ok: r.status === 0, error: (r.stderr || r.stdout || `exit ${r.status}`).trim() };
}

/** Why network namespaces cannot be used here (no iproute2, not root, no CAP_SYS_ADMIN), or null when they can. */
export function networkNamespacesUnavailable(): string | null {
  const probe = `lfprobe${randomBytes(3).toString('hex')}`;
  const made = ip(['netns', 'add', probe]);
  if (!made.ok) return `\`ip netns add\` failed: ${made.error}`;
  ip(['netns', 'del', probe]);
  return null;
}

/**
 * A network namespace of this test's own, with only a loopback interface: a process started in it
 * reaches the rest of the machine only through what the test puts there (a bridge to a Unix socket).
 * Taking its loopback down cuts every connection in it silently (no FIN, no RST), as a pulled cable does.
 */
export class NetworkNamespace {
  private constructor(readonly name: string) {}

  static create(): NetworkNamespace {
    const ns = new NetworkNamespace(`lfcut${randomBytes(3).toString('hex')}`);
    const made = ip(['netns', 'add', ns.name]);
    if (!made.ok) throw new Error(`ip netns add ${ns.name}: ${made.error}`);
    ns.loopback(true);
    return ns;
  }

  /** Prefix that runs a command inside the namespace (the command keeps the process id). */
  get wrapper(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  loopback(up: boolean): void {
    const r = ip(['netns', 'exec', this.name, 'ip', 'link', 'set', 'lo', up ? 'up' : 'down']);
    if (!r.ok) throw new Error(`${this.name}: lo ${up ? 'up' : 'down'}: ${r.error}`);
  }

  destroy(): void {
    ip(['netns', 'del', this.name]);
  }
}
