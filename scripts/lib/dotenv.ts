// Reads the repo's .env into process.env if there is one (Node's own parser, no dotenv
// package). Variables already set in the shell win, as everywhere else.
import { existsSync } from 'node:fs';
import { ROOT } from './services.ts';

export function loadDotEnv(): void {
  const file = `${ROOT}.env`;
  if (existsSync(file)) process.loadEnvFile(file);
}
