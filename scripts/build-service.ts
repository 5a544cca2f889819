// `pnpm build` in an app: bundles src/server.ts and everything it imports (workspace
// packages and npm dependencies) into dist/server.js, so production runs plain `node` with
// no TypeScript tooling and no node_modules resolution surprises (ADR 0004). Swagger UI's
// static files are copied beside the bundle, as @fastify/swagger-ui documents for bundling.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// Run from an app's folder (`pnpm build`); an optional argument puts the output elsewhere.
const appDir = process.cwd();
const dist = process.argv[2] ?? join(appDir, 'dist');
const require = createRequire(join(appDir, 'package.json'));

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// CommonJS dependencies inside an ESM bundle still call require() and read __dirname.
const banner = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname, join as __pathJoin } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);',
  "process.env.DOCS_ASSETS_DIR ??= __pathJoin(__dirname, 'static');",
].join('\n');

await build({
  entryPoints: [join(appDir, 'src/server.ts')],
  outfile: join(dist, 'server.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minify: false,
  banner: { js: banner },
  // Optional native add-ons, loaded in try/catch by their parents (pg, msgpackr).
  external: ['pg-native', 'msgpackr-extract'],
  logLevel: 'warning',
});

// The kit depends on @fastify/swagger-ui; resolve it through the kit's own node_modules.
const kitRequire = createRequire(require.resolve('@meridian/service-kit'));
const swaggerUiDir = dirname(kitRequire.resolve('@fastify/swagger-ui/package.json'));
cpSync(join(swaggerUiDir, 'static'), join(dist, 'static'), { recursive: true });

console.log(`built ${join(dist, 'server.js')}`);
