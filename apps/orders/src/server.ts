// Entry point: validate config (exit 1 naming every bad variable), build, listen, and shut
// down gracefully on SIGTERM/SIGINT.
import { loadConfigOrExit } from '@meridian/config';
import { runService } from '@meridian/service-kit';
import { buildApp } from './app.ts';
import { ConfigSchema } from './config.ts';

const config = loadConfigOrExit(ConfigSchema);
const app = await buildApp(config);
await runService(app, { host: config.HOST, port: config.PORT, graceMs: config.SHUTDOWN_GRACE_MS });
