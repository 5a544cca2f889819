// `pnpm --filter @meridian/auth keys:rotate` (run from the repo root, like `pnpm start`, so
// the default AUTH_KEY_FILE is the same file): put a new signing key first and keep the one
// before it (tokens it signed keep verifying until they expire); older keys are retired.
// Restart the auth replicas to pick it up: the new key is published at once and signs
// PUBLISH_BEFORE_SIGNING_SEC after each replica loads it, when every verifier can have
// fetched it. With AUTH_SIGNING_KEYS set, prints the new value to store in your secret
// manager instead of touching a file.

import { writeFile } from 'node:fs/promises';
import { loadConfigOrExit } from '@meridian/config';
import { ConfigSchema } from '../config.ts';
import { generateSigningJwk, loadOrCreateKeyFile, parseKeysJson } from './keystore.ts';

const KEEP = 2;
const config = loadConfigOrExit(ConfigSchema);
const fresh = await generateSigningJwk();

if (config.AUTH_SIGNING_KEYS) {
  const keys = [fresh, ...parseKeysJson(config.AUTH_SIGNING_KEYS)].slice(0, KEEP);
  process.stdout.write(`${JSON.stringify(keys)}\n`);
  console.error(`auth: new key ${fresh.kid}; set AUTH_SIGNING_KEYS to the line above`);
} else {
  const keys = [fresh, ...(await loadOrCreateKeyFile(config.AUTH_KEY_FILE))].slice(0, KEEP);
  await writeFile(config.AUTH_KEY_FILE, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  console.error(`auth: ${config.AUTH_KEY_FILE} now signs with ${fresh.kid}; restart auth`);
}
