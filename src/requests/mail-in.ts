// Requests by e-mail: an SMTP listener (RFC 5321) that takes mail for the privacy address only and
// turns each into a rights request (PIPL art. 50: a convenient way to ask). It is a final
// destination, not a relay: no AUTH, one accepted recipient, 256 KiB per message. Mail whose
// sender is not credible is refused in the SMTP dialogue (the sending server bounces it); mail
// from a credible sender that is not plain text is accepted and answered through the outbox.
// TLS is left to a front MTA (e.g. Postfix relaying to this port), which also does SPF/DKIM.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AppContext } from '../context.js';
import { ipPrefix, RateLimiter } from '../http/rate-limit.js';
import { normalizeEmail } from '../crypto/normalize.js';
import { mailboxOf } from './mail-in/checks.js';
import { handleMail } from './mail-in/handle.js';

export interface MailIn {
  port: number;
  close(): Promise<void>;
}

/** Largest message accepted, in bytes (SIZE extension, RFC 1870). */
export const MAIL_SIZE_LIMIT = 256 * 1024;

// Per sending network: a person writes a few mails, a flood is not a person. Generous, because a
// front MTA relays everyone's mail from one address; a 421 only makes a sender retry later.
const CONNECTION_LIMIT = { limit: 300, windowMs: 10 * 60_000 };

const smtpError = (responseCode: number, message: string): Error =>
  Object.assign(new Error(message), { responseCode });

/** Reads the DATA stream, keeping at most the size limit in memory. */
function readData(stream: SMTPServerDataStream): Promise<{ raw: Buffer; oversized: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    stream.on('data', (chunk: Buffer) => {
      if (kept <= MAIL_SIZE_LIMIT) {
        chunks.push(chunk);
        kept += chunk.length;
      }
    });
    stream.on('error', reject);
    stream.on('end', () =>
      resolve({
        raw: Buffer.concat(chunks),
        oversized: stream.sizeExceeded || kept > MAIL_SIZE_LIMIT,
      }),
    );
  });
}

/** Starts the listener on `ctx.config.mailInPort`; null when that setting is unset. */
export async function startMailIn(ctx: AppContext): Promise<MailIn | null> {
  const port = ctx.config.mailInPort;
  if (port === null) return null;
  const privacyAddress = mailboxOf(ctx.config.mailFrom);
  const connections = new RateLimiter(CONNECTION_LIMIT.limit, CONNECTION_LIMIT.windowMs, () =>
    ctx.clock.now().getTime(),
  );
  const log = ctx.log.child({ component: 'mail-in' });

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    size: MAIL_SIZE_LIMIT,
    rejectOversized: true,
    maxClients: 100,
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    logger: false,
    banner: 'Custos privacy requests',
    onConnect(session, callback) {
      const verdict = connections.hit(ipPrefix(session.remoteAddress));
      if (!verdict.ok) {
        callback(smtpError(421, '4.7.0 Too many connections, try again later'));
        return;
      }
      callback();
    },
    onRcptTo(address, session, callback) {
      if (privacyAddress === null || normalizeEmail(address.address) !== privacyAddress) {
        callback(smtpError(550, '5.1.1 No such mailbox here'));
        return;
      }
      if (session.envelope.rcptTo.length > 0) {
        callback(smtpError(452, '4.5.3 One recipient per message'));
        return;
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      readData(stream)
        .then(async ({ raw, oversized }) => {
          if (oversized) {
            log.info({ outcome: 'too_large' }, 'mail refused');
            return callback(smtpError(552, '5.3.4 Message too big'));
          }
          const from = session.envelope.mailFrom;
          const envelopeFrom = from === false || from.address === '' ? null : from.address;
          const outcome = await handleMail(ctx, raw, envelopeFrom);
          if (outcome.kind === 'refuse') {
            // The reason class only: never the addresses or the text.
            log.info({ outcome: 'refused', code: outcome.responseCode }, 'mail refused');
            return callback(smtpError(outcome.responseCode, outcome.message));
          }
          log.info(
            outcome.kind === 'request'
              ? { outcome: outcome.duplicate ? 'duplicate' : 'request' }
              : { outcome: 'answered', problem: outcome.problem },
            'mail accepted',
          );
          return callback(null, 'OK: received');
        })
        .catch((error: unknown) => {
          log.error(
            { err: { type: error instanceof Error ? error.name : typeof error } },
            'mail could not be handled; asking the sender to retry',
          );
          callback(smtpError(451, '4.3.0 Temporary failure, please try again later'));
        });
    },
  });
  server.on('error', (error: Error & { code?: string }) => {
    log.warn({ err: { type: error.name, code: error.code } }, 'smtp connection error');
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(port, ctx.config.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const address = server.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  log.info({ port: bound }, 'mail-in listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
