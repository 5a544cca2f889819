// The four services as the local scripts see them: name, default port, the env variable
// that overrides the port under `pnpm start`, and a colour for their log prefix.
import { fileURLToPath } from 'node:url';

export interface ServiceSpec {
  name: 'auth' | 'catalog' | 'orders' | 'jobs';
  defaultPort: number;
  portVar: string;
  color: number;
  /** A URL to show in the banner that answers a plain curl: public, no token needed. */
  example: string;
}

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const SERVICES: ServiceSpec[] = [
  { name: 'auth', defaultPort: 3001, portVar: 'AUTH_PORT', color: 35, example: '/v1/roles' },
  {
    name: 'catalog',
    defaultPort: 3002,
    portVar: 'CATALOG_PORT',
    color: 36,
    example: '/v1/categories',
  },
  {
    name: 'orders',
    defaultPort: 3003,
    portVar: 'ORDERS_PORT',
    color: 33,
    example: '/v1/shipping-methods',
  },
  // Every jobs /v1 route needs a jobs:admin token, so its banner shows readiness instead.
  {
    name: 'jobs',
    defaultPort: 3004,
    portVar: 'JOBS_PORT',
    color: 32,
    example: '/health/ready',
  },
];

export const appPath = (service: ServiceSpec, file: string) =>
  `${ROOT}apps/${service.name}/${file}`;

export function portOf(service: ServiceSpec, env: NodeJS.ProcessEnv): number {
  const raw = env[service.portVar];
  return raw ? Number(raw) : service.defaultPort;
}

/** A service's local base URL, on whatever port `pnpm start` gives it. */
export function urlOf(name: ServiceSpec['name'], env: NodeJS.ProcessEnv): string {
  const service = SERVICES.find((s) => s.name === name);
  if (!service) throw new Error(`no ${name} service in SERVICES`);
  return `http://127.0.0.1:${portOf(service, env)}`;
}

/** Where every service fetches the auth service's public keys, on whatever port auth runs. */
export function jwksUrlOf(env: NodeJS.ProcessEnv): string {
  return `${urlOf('auth', env)}/.well-known/jwks.json`;
}
