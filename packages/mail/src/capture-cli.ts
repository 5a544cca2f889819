// `node --import tsx packages/mail/src/capture-cli.ts`: the capture server on its own, for
// `pnpm start` and manual runs. Services send to smtp://127.0.0.1:1025 and each message's
// summary is printed here. MAIL_CAPTURE_PORT and MAIL_CAPTURE_HOST move it.
import { startCaptureServer } from './capture.ts';

const port = Number(process.env.MAIL_CAPTURE_PORT || 1025);
const host = process.env.MAIL_CAPTURE_HOST || '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`MAIL_CAPTURE_PORT must be a port number, got ${process.env.MAIL_CAPTURE_PORT}`);
  process.exit(1);
}

// stdout, not console.log: this is the program's output, and the lint rule keeps console.log
// out of library code.
const print = (line: string) => process.stdout.write(`${line}\n`);

const capture = await startCaptureServer({
  port,
  host,
  onMessage(mail) {
    print(
      `mail #${mail.seq} ${mail.receivedAt.toISOString()} to ${mail.envelope.to.join(', ')}: ` +
        `${JSON.stringify(mail.subject)} (${mail.messageId ?? 'no Message-ID'}, ${mail.raw.length} bytes)`,
    );
  },
});
print(`mail capture: listening on ${capture.url}; messages are kept in memory, never delivered`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  print(`mail capture: ${signal}, closing`);
  await capture.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
