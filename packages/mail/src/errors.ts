// Typed mail errors, so a queue worker can decide from the class alone: TransientMailError →
// let the job retry with backoff; PermanentMailError → fail the job at once (BullMQ's
// UnrecoverableError). The rules, and why they are these, are in docs/email.md.

export abstract class MailError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad mailer settings (an unparsable SMTP URL, a missing from address), raised at startup. */
export class MailConfigError extends MailError {
  readonly code = 'mail-config';
}

export type MailFailureReason =
  /** The server could not be reached or the connection broke (refused, reset, DNS, TLS). */
  | 'connection'
  /** Connecting, the greeting or a reply took longer than timeoutMs. */
  | 'timeout'
  /** The server answered a command with an error reply; see responseCode. */
  | 'smtp-reply'
  /** The server refused the credentials: the sender's configuration, not the message. */
  | 'auth'
  /** A recipient is malformed or missing, found before anything was sent. */
  | 'invalid-recipient'
  /** The mailer was closed before the send started. */
  | 'closed'
  /** Anything the rules below do not recognise. */
  | 'unknown';

interface SendErrorDetails {
  reason: MailFailureReason;
  /** The SMTP reply code, when the server answered (421, 451, 550, …). */
  responseCode?: number;
  /** The server's reply line. May name the recipient: log it, do not show it to users. */
  response?: string;
  /** The SMTP command that got the error reply (MAIL FROM, RCPT TO, DATA, AUTH …). */
  command?: string;
  /** Nodemailer's error code (ECONNECTION, ESOCKET, EENVELOPE, …) and the system one below it. */
  transportCode?: string;
  originalCode?: string;
  cause?: unknown;
}

export abstract class MailSendError extends MailError {
  /** Whether sending the same message again later may succeed. */
  abstract readonly retryable: boolean;
  readonly reason: MailFailureReason;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  readonly command: string | undefined;
  readonly transportCode: string | undefined;
  readonly originalCode: string | undefined;
  constructor(message: string, details: SendErrorDetails) {
    super(message, { cause: details.cause });
    this.reason = details.reason;
    this.responseCode = details.responseCode;
    this.response = details.response;
    this.command = details.command;
    this.transportCode = details.transportCode;
    this.originalCode = details.originalCode;
  }
}

/** Try again later: the server was unreachable, slow, busy (4xx) or misconfigured for us. */
export class TransientMailError extends MailSendError {
  readonly code = 'mail-transient';
  readonly retryable = true;
}

/** Do not try again: the server refused this message or recipient for good (5xx). */
export class PermanentMailError extends MailSendError {
  readonly code = 'mail-permanent';
  readonly retryable = false;
}

/** Nodemailer's error codes that mean the connection, not the message, failed. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL']);

/**
 * Turns whatever nodemailer threw into a TransientMailError or a PermanentMailError.
 *
 * - An SMTP reply decides by its class (RFC 5321 §4.2.1): 4yz transient, 5yz permanent.
 *   Two exceptions: 503 "bad sequence of commands" describes the session, not the message, so a
 *   new connection can succeed (nodemailer's own rule, too); and a refused AUTH (535 and the
 *   like) is our credentials, so it is transient: failing jobs for good would throw away every
 *   email while the secret is being fixed, and readiness (verify) is what should go red.
 * - No reply at all (refused, reset, DNS, TLS, timeout) is transient.
 * - An envelope nodemailer refuses before sending (no recipient) is permanent.
 * - Anything unrecognised is transient: a bounded number of retries costs little, while
 *   dropping an email because an error was new to us costs the email.
 */
export function classifySendError(err: unknown): MailSendError {
  if (err instanceof MailSendError) return err;
  const e = (err ?? {}) as {
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
    response?: unknown;
    command?: unknown;
    message?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const base = {
    responseCode,
    response: typeof e.response === 'string' ? e.response : undefined,
    command: typeof e.command === 'string' ? e.command : undefined,
    transportCode: code,
    originalCode: typeof e.originalCode === 'string' ? e.originalCode : undefined,
    cause: err,
  };

  if (code === 'EAUTH' || code === 'ENOAUTH') {
    return new TransientMailError(
      `SMTP authentication failed${responseCode ? ` (${responseCode})` : ''}: check the credentials in the SMTP URL.`,
      { ...base, reason: 'auth' },
    );
  }
  if (responseCode !== undefined) {
    const at = base.command ? ` to ${base.command}` : '';
    if (responseCode >= 500 && responseCode < 600 && responseCode !== 503) {
      return new PermanentMailError(`SMTP server refused the message${at}: ${responseCode}.`, {
        ...base,
        reason: 'smtp-reply',
      });
    }
    return new TransientMailError(`SMTP server deferred the message${at}: ${responseCode}.`, {
      ...base,
      reason: 'smtp-reply',
    });
  }
  if (code === 'ETIMEDOUT') {
    return new TransientMailError('SMTP server did not answer in time.', {
      ...base,
      reason: 'timeout',
    });
  }
  if (code !== undefined && CONNECTION_CODES.has(code)) {
    const detail = base.originalCode ?? code;
    return new TransientMailError(`Could not talk to the SMTP server (${detail}).`, {
      ...base,
      reason: 'connection',
    });
  }
  if (code === 'EENVELOPE') {
    return new PermanentMailError(`Invalid envelope: ${String(e.message)}`, {
      ...base,
      reason: 'invalid-recipient',
    });
  }
  return new TransientMailError(`Sending failed: ${String(e.message ?? err)}`, {
    ...base,
    reason: 'unknown',
  });
}
