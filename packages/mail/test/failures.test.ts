// How send failures are classified, over real SMTP where a server can produce them: a 4xx or
// no answer is transient (retry the job), a 5xx or a bad recipient is permanent (fail it now).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  classifySendError,
  createMailer,
  PermanentMailError,
  paymentFailed,
  TransientMailError,
} from '../src/index.ts';
import { closedPort, FROM, onCleanup, recipient, setup } from './helpers.ts';

const message = () => ({
  ...paymentFailed({ orderId: 'ord_9', reason: 'Your card was declined.' }),
  to: recipient('ada'),
});

describe('transient failures', () => {
  it('a 451 after DATA is transient, and the retry that follows is delivered once', async () => {
    const { capture, mailer } = await setup({ failFirst: 1 });
    const mail = message();

    const err = await mailer.send(mail).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientMailError);
    expect(err).toMatchObject({
      retryable: true,
      reason: 'smtp-reply',
      responseCode: 451,
      command: 'DATA',
    });
    expect(capture.messages()).toHaveLength(0);

    await mailer.send(mail); // what the worker's retry does
    expect(capture.messages().map((m) => m.to)).toEqual([[mail.to]]);
  });

  it('connection refused is transient', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    onCleanup(() => mailer.close());
    const err = await mailer.send(message()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientMailError);
    expect(err).toMatchObject({
      retryable: true,
      reason: 'connection',
      originalCode: 'ECONNREFUSED',
    });
  });

  it('a server that accepts but never greets is a transient timeout after timeoutMs', async () => {
    const silent = net.createServer(() => {}); // holds connections open, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    onCleanup(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as net.AddressInfo;
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: FROM,
      timeoutMs: 200,
    });
    onCleanup(() => mailer.close());

    const started = Date.now();
    const err = await mailer.send(message()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientMailError);
    expect(err).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('send after close is transient: another worker can still send the message', async () => {
    const { capture, mailer } = await setup();
    await mailer.close();
    const err = await mailer.send(message()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientMailError);
    expect(err).toMatchObject({ reason: 'closed' });
    expect(capture.messages()).toHaveLength(0);
  });
});

describe('permanent failures', () => {
  it('a 550 for the only recipient is permanent and nothing is stored', async () => {
    const { capture, mailer } = await setup({ rejectRecipients: /^nobody\./ });
    const err = await mailer
      .send({ ...message(), to: recipient('nobody') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMailError);
    expect(err).toMatchObject({
      retryable: false,
      reason: 'smtp-reply',
      responseCode: 550,
      command: 'RCPT TO',
    });
    expect(capture.messages()).toHaveLength(0);
  });

  it('a message over the size limit is refused with 552, permanently', async () => {
    const { capture, mailer } = await setup({ maxMessageBytes: 2000 });
    const big = { ...message(), text: 'x'.repeat(5000) };
    const err = await mailer.send(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentMailError);
    expect(err).toMatchObject({ responseCode: 552 });
    expect(capture.messages()).toHaveLength(0);
  });
});

describe('classifySendError rules for replies the capture server does not produce', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 421, command: 'MAIL FROM' }, true, 'smtp-reply'],
    [{ code: 'EMESSAGE', responseCode: 452, command: 'DATA' }, true, 'smtp-reply'],
    [{ code: 'EPROTOCOL', responseCode: 503, command: 'DATA' }, true, 'smtp-reply'],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, false, 'smtp-reply'],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, true, 'auth'],
    [{ code: 'ETIMEDOUT' }, true, 'timeout'],
    [{ code: 'ECONNECTION' }, true, 'connection'],
    [{ code: 'EENVELOPE' }, false, 'invalid-recipient'],
    [{ code: 'ESOMETHINGNEW' }, true, 'unknown'],
    [new Error('plain'), true, 'unknown'],
  ])('%o → retryable %s (%s)', (input, retryable, reason) => {
    const err = classifySendError(Object.assign(new Error('x'), input));
    expect(err.retryable).toBe(retryable);
    expect(err.reason).toBe(reason);
    expect(err).toBeInstanceOf(retryable ? TransientMailError : PermanentMailError);
  });
});
