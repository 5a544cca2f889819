// smtps:// and STARTTLS still work although the mailer opens the sockets itself (so close()
// can wait for them): nodemailer must add TLS on top of the socket it is handed. The server is
// smtp-server with a self-signed certificate for localhost from test/fixtures (test-only key).
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { createMailer, paymentFailed } from '../src/index.ts';
import { FROM, onCleanup, recipient } from './helpers.ts';

const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url));
const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url));

async function tlsServer(secure: boolean) {
  const received: Array<{ secure: boolean; to: string[] }> = [];
  const server = new SMTPServer({
    secure,
    key,
    cert,
    logger: false,
    authOptional: true,
    closeTimeout: 500,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push({
          secure: session.secure,
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, received };
}

describe('TLS', () => {
  it.each([
    ['smtps:// (TLS from the first byte)', true, 'smtps'],
    ['smtp:// with STARTTLS required', false, 'smtp'],
  ])('%s delivers over an encrypted session', async (_label, secure, scheme) => {
    const { port, received } = await tlsServer(secure);
    const query = secure ? '' : 'requireTLS=true&';
    const mailer = createMailer({
      // The fixture certificate is self-signed, so trust is switched off for this test only.
      smtpUrl: `${scheme}://localhost:${port}/?${query}tls.rejectUnauthorized=false`,
      from: FROM,
    });
    onCleanup(() => mailer.close());
    const to = recipient('tls');
    await mailer.verify();
    await mailer.send({ ...paymentFailed({ orderId: 'ord_tls', reason: 'Declined.' }), to });
    expect(received).toEqual([{ secure: true, to: [to] }]);
  });
});
