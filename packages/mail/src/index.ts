// Email for Meridian: an SMTP mailer with typed transient/permanent errors, the message
// templates, and an in-process SMTP capture server for local runs and tests. See README.md
// and docs/email.md.
export {
  type CapturedMail,
  type CaptureServer,
  type CaptureServerOptions,
  startCaptureServer,
} from './capture.ts';
export {
  classifySendError,
  MailConfigError,
  MailError,
  type MailFailureReason,
  MailSendError,
  PermanentMailError,
  TransientMailError,
} from './errors.ts';
export { escapeHtml, formatMoney, minorUnitDigits } from './format.ts';
export {
  createMailer,
  type Mailer,
  type MailerOptions,
  type OutgoingMail,
  type SendResult,
} from './mailer.ts';
export {
  type AccountVerificationInput,
  accountVerification,
  type OrderConfirmationInput,
  type OrderLine,
  orderConfirmation,
  type PasswordResetInput,
  type PaymentFailedInput,
  passwordReset,
  paymentFailed,
  type RenderedMail,
} from './templates.ts';
