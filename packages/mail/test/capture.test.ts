// The capture server as tests and `pnpm start` use it: waiting for mail, clearing, closing
// without leaving sockets behind, and the CLI that prints what arrives.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createMailer,
  orderConfirmation,
  paymentFailed,
  startCaptureServer,
} from '../src/index.ts';
import { FROM, onCleanup, recipient, setup, tcpHandles } from './helpers.ts';

const failed = (orderId: string) => paymentFailed({ orderId, reason: 'Declined.' });

describe('waitFor', () => {
  it('resolves with a message that arrives later', async () => {
    const { capture, mailer } = await setup();
    const to = recipient('later');
    const waiting = capture.waitFor((m) => m.to.includes(to), 5000);
    await mailer.send({ ...failed('ord_1'), to });
    await expect(waiting).resolves.toMatchObject({
      to: [to],
      subject: expect.stringContaining('ord_1'),
    });
  });

  it('resolves at once with a message already received', async () => {
    const { capture, mailer } = await setup();
    const to = recipient('before');
    await mailer.send({ ...failed('ord_2'), to });
    const mail = await capture.waitFor((m) => m.to.includes(to), 50);
    expect(mail.seq).toBe(1);
  });

  it('rejects after the timeout, listing what did arrive', async () => {
    const { capture, mailer } = await setup();
    await mailer.send({ ...failed('ord_3'), to: recipient('other') });
    await expect(capture.waitFor((m) => m.subject === 'never', 100)).rejects.toThrow(
      /No matching message within 100 ms; received 1: "Payment for your Meridian order ord_3 failed"/,
    );
  });

  it('rejects pending waits when the server closes', async () => {
    const capture = await startCaptureServer();
    const waiting = capture.waitFor(() => true, 10_000).catch((e: unknown) => e);
    await capture.close();
    expect(await waiting).toEqual(new Error('The capture server was closed.'));
  });
});

describe('messages and clear', () => {
  it('keeps messages in arrival order and forgets them on clear()', async () => {
    const { capture, mailer } = await setup();
    await mailer.send({ ...failed('ord_a'), to: recipient('a') });
    await mailer.send({ ...failed('ord_b'), to: recipient('b') });
    expect(capture.messages().map((m) => [m.seq, m.subject.match(/ord_\w/)?.[0]])).toEqual([
      [1, 'ord_a'],
      [2, 'ord_b'],
    ]);
    capture.clear();
    expect(capture.messages()).toEqual([]);
  });

  it('returns a copy, so a caller cannot change what the server holds', async () => {
    const { capture, mailer } = await setup();
    await mailer.send({ ...failed('ord_c'), to: recipient('c') });
    capture.messages().pop();
    expect(capture.messages()).toHaveLength(1);
  });
});

describe('close()', () => {
  it('leaves no listening server and no socket behind, from the mailer or the capture server', async () => {
    const before = tcpHandles();
    const capture = await startCaptureServer();
    const mailer = createMailer({ smtpUrl: capture.url, from: FROM });
    await Promise.all(
      ['x', 'y', 'z'].map((label) => mailer.send({ ...failed('ord_h'), to: recipient(label) })),
    );
    await mailer.verify(); // its QUIT is still in flight when verify resolves
    expect(tcpHandles().servers).toBe(before.servers + 1);

    await mailer.close();
    await capture.close();

    expect(tcpHandles()).toEqual(before);
  });

  it('the mailer waits for a send in flight before it closes', async () => {
    const { capture, mailer } = await setup();
    const to = recipient('inflight');
    const sending = mailer.send({ ...failed('ord_f'), to });
    await mailer.close();
    await expect(sending).resolves.toMatchObject({ accepted: [to] });
    expect(capture.messages()).toHaveLength(1);
  });
});

/** The CLI in a child process: its sockets are not this process's, which the tests rely on. */
async function startCli() {
  const cli = fileURLToPath(new URL('../src/capture-cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli], {
    env: { ...process.env, MAIL_CAPTURE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitForOutput = async (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = out.match(re);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${re} in the CLI's output: ${JSON.stringify(out)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const [, url] = await waitForOutput(/listening on (smtp:\/\/\S+);/);
  onCleanup(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { url: url as string, waitForOutput, child, exited };
}

describe('capture-cli', () => {
  it('listens where MAIL_CAPTURE_PORT says, prints a summary per message, and stops on SIGTERM', async () => {
    const cli = await startCli();
    const mailer = createMailer({ smtpUrl: cli.url, from: FROM });
    const to = recipient('cli');
    await mailer.send({
      ...orderConfirmation({
        orderId: 'ord_cli',
        currency: 'EUR',
        lines: [{ name: 'Mug', sku: 'MUG-1', quantity: 1, unitPriceMinor: 900, currency: 'EUR' }],
        itemsTotalMinor: 900,
        shippingMinor: 0,
        totalMinor: 900,
      }),
      to,
    });
    await mailer.close();

    const [line] = await cli.waitForOutput(/mail #1 .*\n/);
    expect(line).toContain(`to ${to}`);
    expect(line).toContain('"Your Meridian order ord_cli is confirmed"');

    cli.child.kill('SIGTERM');
    const [code] = await cli.exited;
    expect(code).toBe(0);
  });

  it('mailer.close() alone leaves no socket of the mailer behind (the server is another process)', async () => {
    const cli = await startCli();
    const before = tcpHandles();
    const mailer = createMailer({ smtpUrl: cli.url, from: FROM });
    await Promise.all(
      ['x', 'y', 'z'].map((label) => mailer.send({ ...failed('ord_m'), to: recipient(label) })),
    );
    await mailer.verify(); // its QUIT is still in flight when verify resolves

    await mailer.close();

    expect(tcpHandles()).toEqual(before);
  });
});
