// Test fixtures: a capture server and a mailer pointed at it, closed after each test, plus a
// port with nothing listening and a count of this process's TCP handles.
import { afterEach } from 'vitest';
import {
  type CaptureServer,
  type CaptureServerOptions,
  createMailer,
  type Mailer,
  type MailerOptions,
  startCaptureServer,
} from '../src/index.ts';

export const FROM = 'Meridian <no-reply@meridian.test>';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

export async function setup(
  captureOptions: CaptureServerOptions = {},
  mailerOptions: Partial<MailerOptions> = {},
): Promise<{ capture: CaptureServer; mailer: Mailer }> {
  const capture = await startCaptureServer(captureOptions);
  onCleanup(() => capture.close());
  const mailer = createMailer({ smtpUrl: capture.url, from: FROM, ...mailerOptions });
  onCleanup(() => mailer.close());
  return { capture, mailer };
}

/** A loopback port that was just free: a capture server opened there and closed again. */
export async function closedPort(): Promise<number> {
  const probe = await startCaptureServer();
  await probe.close();
  return probe.port;
}

/** Listening servers and sockets of this process (timers and the worker's IPC left out). */
export function tcpHandles(): { servers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    servers: info.filter((r) => r === 'TCPServerWrap').length,
    sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'ConnectWrap').length,
  };
}

let counter = 0;
/** A recipient unique to this test run, so parallel files never read each other's mail. */
export function recipient(label: string): string {
  counter += 1;
  return `${label}.${process.pid}.${counter}@example.test`;
}
