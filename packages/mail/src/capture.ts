// A real SMTP server in-process that keeps what it receives instead of delivering it: the
// local and test stand-in for a mail provider, so a test reads the message that was actually
// sent over SMTP. It can also refuse recipients (5xx) or defer messages (4xx) on purpose, to
// exercise a worker's retry paths. Not for production: no auth, no TLS, everything in memory.
import type { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** Arrival order in this server, from 1. */
  seq: number;
  receivedAt: Date;
  /** What the client said at MAIL FROM / RCPT TO: who the message was delivered to. */
  envelope: { from: string; to: string[] };
  /** The Message-ID header, angle brackets included. */
  messageId: string | undefined;
  /** The From header as text: 'Meridian <no-reply@meridian.local>'. */
  from: string;
  /** Addresses in the To header. */
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  /** Header name (lower case) → value, unfolded; a repeated header's values joined by "\n". */
  headers: Record<string, string>;
  /** The Date header. */
  date: Date | undefined;
  /** The message as received, for anything the fields above leave out. */
  raw: string;
}

export interface CaptureServerOptions {
  /** 0 (the default) picks a free port; read it from the result. */
  port?: number;
  host?: string;
  /** Larger messages are refused with 552. Default 10 MiB. */
  maxMessageBytes?: number;
  /** Recipients matching this are refused at RCPT TO with 550 (a permanent failure). */
  rejectRecipients?: RegExp;
  /** The first N messages are refused after DATA with 451 (a transient failure). */
  failFirst?: number;
  /** Called with each message stored, after it is stored (the CLI prints from here). */
  onMessage?: (mail: CapturedMail) => void;
}

export interface CaptureServer {
  port: number;
  /** smtp://host:port, ready for createMailer. */
  url: string;
  /** A copy of the messages stored so far, oldest first. */
  messages(): CapturedMail[];
  /** The first stored or future message matching predicate; rejects after timeoutMs (5000). */
  waitFor(predicate: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  clear(): void;
  /** Stops listening, ends open sessions within a second, rejects pending waitFor calls. */
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

interface Waiter {
  predicate: (mail: CapturedMail) => boolean;
  resolve: (mail: CapturedMail) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startCaptureServer(
  options: CaptureServerOptions = {},
): Promise<CaptureServer> {
  const host = options.host ?? '127.0.0.1';
  const stored: CapturedMail[] = [];
  const waiters = new Set<Waiter>();
  let seq = 0;
  let failuresLeft = options.failFirst ?? 0;

  const server = new SMTPServer({
    name: 'meridian-capture',
    banner: 'Meridian mail capture (messages are kept, never delivered)',
    logger: false,
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    rejectOversized: true,
    // close() waits this long for clients to finish before ending their sessions.
    closeTimeout: 1000,

    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.test(address.address)) {
        return callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected`));
      }
      callback();
    },

    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(); // rejectOversized answers 552
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          return callback(smtpError(451, '4.3.0 Temporary failure, please try again later'));
        }
        const raw = Buffer.concat(chunks);
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        };
        simpleParser(raw).then(
          (parsed) => {
            seq += 1;
            const mail: CapturedMail = {
              seq,
              receivedAt: new Date(),
              envelope,
              messageId: parsed.messageId,
              from: parsed.from?.text ?? '',
              to: addresses(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : undefined,
              headers: headerRecord(parsed.headerLines),
              date: parsed.date,
              raw: raw.toString('utf8'),
            };
            stored.push(mail);
            callback(null, `OK: captured as #${seq}`);
            for (const waiter of waiters) {
              if (waiter.predicate(mail)) settle(waiter, () => waiter.resolve(mail));
            }
            options.onMessage?.(mail);
          },
          // A message we cannot parse is our problem, not the client's: ask it to retry.
          (err: Error) =>
            callback(smtpError(451, `4.3.0 Could not parse the message: ${err.message}`)),
        );
      });
    },
  });

  function settle(waiter: Waiter, finish: () => void) {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
    finish();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Tracked so close() can wait until each client connection is really gone: the server's own
  // close callback comes before its sockets have finished closing.
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const address = server.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('The capture server is not listening on a TCP port.');
  }
  const port = address.port;
  // A bare IPv6 host needs brackets in a URL.
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    port,
    url: `smtp://${urlHost}:${port}`,
    messages: () => [...stored],
    waitFor(predicate, timeoutMs = 5000) {
      const found = stored.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<CapturedMail>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            const seen = stored.map((m) => `${JSON.stringify(m.subject)} → ${m.to.join(', ')}`);
            settle(waiter, () =>
              reject(
                new Error(
                  `No matching message within ${timeoutMs} ms; received ${stored.length}` +
                    (seen.length > 0 ? `: ${seen.join('; ')}` : ''),
                ),
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    clear() {
      stored.length = 0;
    },
    async close() {
      for (const waiter of waiters) {
        settle(waiter, () => waiter.reject(new Error('The capture server was closed.')));
      }
      const open = [...sockets].map((s) => new Promise((resolve) => s.once('close', resolve)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(open);
      // net.Server emits 'close' before libuv has released the listening handle, which happens
      // in the close phase of this loop turn; a timer fires on the next turn, after it.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

type ParsedAddresses = Awaited<ReturnType<typeof simpleParser>>['to'];

function addresses(field: ParsedAddresses): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const out: string[] = [];
  for (const object of objects) {
    for (const entry of object.value) {
      if (entry.address) out.push(entry.address);
      for (const member of entry.group ?? []) if (member.address) out.push(member.address);
    }
  }
  return out;
}

function headerRecord(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    const value = line
      .slice(colon + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const name = key.toLowerCase();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}\n${value}`;
  }
  return headers;
}
