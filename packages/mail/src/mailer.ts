// The SMTP sender: nodemailer's SMTP transport behind a three-method interface, with its
// errors turned into TransientMailError / PermanentMailError. Meant to be called from a queue
// worker, never from inside an HTTP request (docs/email.md explains why).
import net from 'node:net';
import nodemailer from 'nodemailer';
import {
  classifySendError,
  MailConfigError,
  PermanentMailError,
  TransientMailError,
} from './errors.ts';
import type { RenderedMail } from './templates.ts';

export interface MailerOptions {
  /**
   * smtp://host:port for plain SMTP (STARTTLS is used when the server offers it), smtps:// for
   * TLS from the start; credentials as smtp://user:pass@host. Local: smtp://127.0.0.1:1025.
   */
  smtpUrl: string;
  /** The From header and envelope sender: 'Meridian <no-reply@meridian.example>'. */
  from: string;
  /** Applies to each wait on its own: connecting, the greeting, every reply. Default 10 000. */
  timeoutMs?: number;
}

export interface OutgoingMail extends RenderedMail {
  /** One address or several; bare addresses (ada@example.com). */
  to: string | string[];
  replyTo?: string;
  /**
   * A stable Message-ID (`<order-confirmed.<eventId>@meridian>`) so a retried job sends the same
   * ID, which lets mailboxes and support tell a redelivery from a second email. Generated when
   * not given.
   */
  messageId?: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  /** The Message-ID header of the message, angle brackets included. */
  messageId: string;
  /** Recipients the server accepted at RCPT TO. */
  accepted: string[];
  /** Recipients it refused while accepting others (all refused → PermanentMailError instead). */
  rejected: string[];
  /** The server's final reply, e.g. "250 OK: message queued". */
  response: string;
}

export interface Mailer {
  /** Sends one message in one SMTP transaction; rejects with a MailSendError subclass. */
  send(message: OutgoingMail): Promise<SendResult>;
  /** Connects, greets (and authenticates, if the URL has credentials), then quits. For readiness. */
  verify(): Promise<void>;
  /** Refuses new sends, waits for the ones in flight, releases the transport. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

// A bare address with no whitespace, control characters, brackets or list separators: enough
// to stop header tricks and obvious mistakes locally; the receiving server is the real judge.
const BARE_ADDRESS = /^[^\s\p{Cc}@<>()[\]",;:\\]+@[^\s\p{Cc}@<>()[\]",;:\\]+$/u;

export function createMailer(options: MailerOptions): Mailer {
  let url: URL;
  try {
    url = new URL(options.smtpUrl);
  } catch {
    throw new MailConfigError('smtpUrl is not a URL (expected smtp://host:port).');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new MailConfigError(`smtpUrl must use smtp: or smtps:, got ${url.protocol}`);
  }
  if (!options.from?.trim()) throw new MailConfigError('from is required.');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new MailConfigError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  }

  // Every socket the transport uses is opened here, so close() can wait until each one is
  // really gone: nodemailer resolves a send or a verify before its socket has finished closing.
  const sockets = new Set<net.Socket>();
  const openSocket = (
    target: { host?: string; port?: number | string; secure?: boolean },
    callback: (err: Error | null, socketOptions?: { connection: net.Socket }) => void,
  ) => {
    // The same defaults nodemailer applies when it connects by itself.
    const port = Number(target.port) || (target.secure ? 465 : 587);
    const socket = net.connect({ host: target.host || 'localhost', port });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      // The shape nodemailer gives its own connection errors, so classifySendError reads both.
      callback(
        Object.assign(new Error(`Connection failed: ${err.message}`, { cause: err }), {
          code: err.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ESOCKET',
          originalCode: err.code,
        }),
      );
    };
    const timer = setTimeout(
      () => fail(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      callback(null, { connection: socket }); // nodemailer adds TLS on top for smtps://
    });
  };

  // No pool: one connection per message. A pooled transport requeues a message on its own when
  // a connection drops mid-send, which would hide failures from the worker that owns retries
  // and can send twice; at transactional volumes the extra handshake is cheap.
  const transporter = nodemailer.createTransport({
    url: options.smtpUrl,
    getSocket: (target, callback) => openSocket(target, callback),
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Once the transaction is over, destroy the socket rather than wait for the server's FIN.
    socketCloseTimeout: 0,
    // Our messages are strings only; never let a field make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    const forget = () => inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  return {
    async send(message) {
      if (closed) {
        // Transient: the process is shutting down, another worker can send this message.
        throw new TransientMailError('The mailer is closed.', { reason: 'closed' });
      }
      const to = Array.isArray(message.to) ? message.to : [message.to];
      if (to.length === 0) {
        throw new PermanentMailError('No recipient given.', { reason: 'invalid-recipient' });
      }
      const bad = to.find((address) => !BARE_ADDRESS.test(address));
      if (bad !== undefined) {
        throw new PermanentMailError(`Invalid recipient address: ${JSON.stringify(bad)}.`, {
          reason: 'invalid-recipient',
        });
      }
      try {
        const info = await track(
          transporter.sendMail({
            from: options.from,
            to,
            subject: message.subject,
            text: message.text,
            html: message.html,
            ...(message.replyTo ? { replyTo: message.replyTo } : {}),
            ...(message.messageId ? { messageId: message.messageId } : {}),
            ...(message.headers ? { headers: message.headers } : {}),
          }),
        );
        const address = (a: string | { address: string }) =>
          typeof a === 'string' ? a : a.address;
        return {
          messageId: info.messageId,
          accepted: info.accepted.map(address),
          rejected: info.rejected.map(address),
          response: info.response,
        };
      } catch (err) {
        throw classifySendError(err);
      }
    },

    async verify() {
      if (closed) throw new TransientMailError('The mailer is closed.', { reason: 'closed' });
      try {
        await track(transporter.verify());
      } catch (err) {
        throw classifySendError(err);
      }
    },

    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
      transporter.close();
      await Promise.all(
        [...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve))),
      );
    },
  };
}
