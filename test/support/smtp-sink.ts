// A real SMTP server on a free loopback port that keeps every mail it accepts, parsed with
// mailparser, so tests check what a recipient's mail system would actually receive. It can refuse
// recipients (a 550 on RCPT TO) to exercise retries and failures.
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and every RCPT TO, as the server saw them. */
  envelope: { from: string | null; to: string[] };
  parsed: ParsedMail;
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  /** For CUSTOS_SMTP_URL. */
  url: string;
  mails: ReceivedMail[];
  /** Recipients refused so far (address as given in RCPT TO). */
  refused: string[];
  /** Decides per recipient whether RCPT TO is refused; change it at any time. */
  rejectRcpt: (address: string) => boolean;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 and a free port; plain SMTP, no TLS, no authentication. */
export async function startSmtpSink(
  options: { rejectRcpt?: (address: string) => boolean } = {},
): Promise<SmtpSink> {
  const sink: SmtpSink = {
    port: 0,
    url: '',
    mails: [],
    refused: [],
    rejectRcpt: options.rejectRcpt ?? (() => false),
    close: async () => undefined,
  };
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (sink.rejectRcpt(address.address)) {
        sink.refused.push(address.address);
        callback(
          Object.assign(new Error('5.1.1 mailbox unavailable'), {
            responseCode: 550,
          }),
        );
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e: Error) => callback(e));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        // Parsed before the 250 reply, so a mail is in `mails` by the time the sender hears "ok".
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom;
            sink.mails.push({
              envelope: {
                from: from === false ? null : from.address,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
              raw,
            });
            callback();
          })
          .catch((e: unknown) => callback(e instanceof Error ? e : new Error('parse failed')));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('sink has no port');
  sink.port = address.port;
  sink.url = `smtp://127.0.0.1:${address.port}`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

/** A loopback port with nothing listening on it (for "SMTP server down" tests). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const address = probe.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
