// The four services as the local scripts see them: name, default port, the env variable
// that overrides the port under `pnpm start`, and a colour for their log prefix.
import { fileURLToPath } from 'node:url';

export interface ServiceSpec {
  name: 'auth' | 'catalog' | 'orders' | 'jobs';
  defaultPort: number;
  portVar: string;
  color: number;
  /** A real /v1 read to show in the banner. */
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
  { name: 'jobs', defaultPort: 3004, portVar: 'JOBS_PORT', color: 32, example: '/v1/queues' },
];

export const appPath = (service: ServiceSpec, file: string) =>
  `${ROOT}apps/${service.name}/${file}`;

export function portOf(service: ServiceSpec, env: NodeJS.ProcessEnv): number {
  const raw = env[service.portVar];
  return raw ? Number(raw) : service.defaultPort;
}
