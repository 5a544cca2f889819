// `pnpm --filter @meridian/auth keys:rotate`, run twice (it runs from the repo root, like
// `pnpm start`, so the default AUTH_KEY_FILE is the same file):
//   1. stage: a new key goes first, marked `next`. After a restart every replica publishes it
//      but none signs with it, so verifiers can learn it with no token depending on it yet.
//   2. promote, at least PUBLISH_BEFORE_SIGNING_SEC after every replica serves the staged key:
//      it signs from the next restart; the old key stays published (tokens it signed keep
//      verifying until they expire) and anything older is retired.
// With AUTH_SIGNING_KEYS set it prints the new value for your secret manager instead of
// writing a file. It reads the environment only (not .env). See docs/jwt-and-sessions.md.
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { loadConfigOrExit } from '@meridian/config';
import { ConfigSchema } from '../config.ts';
import {
  generateSigningJwk,
  loadOrCreateKeyFile,
  PUBLISH_BEFORE_SIGNING_SEC,
  parseKeysJson,
  type StoredJwk,
} from './keystore.ts';

/** Staging or promoting, as a pure function of the key list (newest first). */
export async function rotate(
  keys: StoredJwk[],
  opts: { force?: boolean; now?: number } = {},
): Promise<{ keys: StoredJwk[]; message: string }> {
  const staged = keys.find((k) => k.next === true);
  if (staged) {
    // A promotion right after staging would sign with a key no verifier has seen yet.
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    // No `created` (hand-edited JSON): we cannot tell how long it was published, so wait.
    const age = now - (staged.created ?? now);
    if (age < PUBLISH_BEFORE_SIGNING_SEC && !opts.force) {
      throw new Error(
        `${staged.kid} was staged ${age} s ago: restart auth, wait until every replica has served it for ${PUBLISH_BEFORE_SIGNING_SEC} s, then promote (--force skips this check)`,
      );
    }
    const { next: _next, ...promoted } = staged;
    const others = keys.filter((k) => k !== staged);
    return {
      // The promoted key and the one it replaces; older keys are retired.
      keys: [promoted, ...others].slice(0, 2),
      message: `promoted ${staged.kid}: it signs after the next restart; ${others[0]?.kid ?? 'nothing'} stays published`,
    };
  }
  const fresh = { ...(await generateSigningJwk()), next: true };
  return {
    keys: [fresh, ...keys].slice(0, 3),
    message: `staged ${fresh.kid}: restart auth, wait ${PUBLISH_BEFORE_SIGNING_SEC} s after every replica serves it, then run keys:rotate again to promote it`,
  };
}

// Run as a script (not when a test imports rotate()).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfigOrExit(ConfigSchema);
  try {
    const force = process.argv.includes('--force');
    if (config.AUTH_SIGNING_KEYS) {
      const { keys, message } = await rotate(parseKeysJson(config.AUTH_SIGNING_KEYS), { force });
      process.stdout.write(`${JSON.stringify(keys)}\n`);
      console.error(`auth: ${message}; set AUTH_SIGNING_KEYS to the line above`);
    } else {
      const { keys, message } = await rotate(await loadOrCreateKeyFile(config.AUTH_KEY_FILE), {
        force,
      });
      await writeFile(config.AUTH_KEY_FILE, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
      console.error(`auth: ${config.AUTH_KEY_FILE}: ${message}`);
    }
  } catch (err) {
    // A refusal is an answer, not a crash: one line, exit 1.
    console.error(`auth keys:rotate: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
