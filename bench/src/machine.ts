// Facts about the machine and the checkout for a results section (CPU model, the commit, a
// URL with its password removed), and the numeric command-line flags both harnesses take.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

/** Short hash of HEAD, with "+dirty" if tracked files differ from it: the code measured. */
export function gitCommit(repoDir: string): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: repoDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
  } catch {
    return '';
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable)';
  }
}

/** A numeric flag: the fallback when absent, else a number in [min, max] (an integer if asked). */
export function numberFlag(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  { integer = false }: { integer?: boolean } = {},
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if ((integer ? !Number.isInteger(n) : !Number.isFinite(n)) || n < min || n > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw new Error(`--${name} must be ${kind} from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}
