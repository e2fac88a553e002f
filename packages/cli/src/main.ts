// hush: the command-line Hush client. Exit codes are stable, for scripts:
//   0 ok · 1 unexpected error · 2 usage · 3 wrong password · 4 invite or sign-up refused
//   5 server unreachable, certificate not trusted or no answer
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  openSession,
  parseInvite,
  registerAccount,
  isHushError,
  type HushErrorCode,
} from '@hush/core';

export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  env: Record<string, string | undefined>;
  stdin: Readable;
}

const USAGE = `Usage:
  hush register <invite> <username> [--service URL]   create an account with an invite link
  hush login <user@domain> [--service URL]             check that an account can log in

The password is read from HUSH_PASSWORD, or else as one line from standard input.
--service: wss://host/xmpp-websocket, xmpps://host:5223 or xmpp://host:5222
           (default wss://DOMAIN/xmpp-websocket). Trust a private CA with NODE_EXTRA_CA_CERTS=ca.crt.`;

const EXIT: Partial<Record<HushErrorCode, number>> = {
  WrongPassword: 3,
  InviteInvalid: 4,
  InviteMalformed: 4,
  RegistrationClosed: 4,
  UsernameTaken: 4,
  InvalidUsername: 4,
  ServerUnreachable: 5,
  CertificateUntrusted: 5,
  Timeout: 5,
};

async function readPassword(io: Io): Promise<string> {
  if (io.env.HUSH_PASSWORD) return io.env.HUSH_PASSWORD;
  const lines = createInterface({ input: io.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { service: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.stderr(`hush: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr)(USAGE);
    return values.help ? 0 : 2;
  }
  const service = (domain: string) => values.service ?? `wss://${domain}/xmpp-websocket`;

  try {
    if (command === 'register' && rest.length === 2) {
      const [invite = '', username = ''] = rest;
      const { domain } = parseInvite(invite);
      const password = await readPassword(io);
      if (password.length < 8) {
        io.stderr('hush: choose a password of at least 8 characters');
        return 2;
      }
      const session = await registerAccount({
        service: service(domain),
        invite,
        username,
        password,
      });
      await session.close();
      io.stdout(`Account ${username}@${domain} created.`);
      return 0;
    }
    if (command === 'login' && rest.length === 1) {
      const [jid = ''] = rest;
      const domain = jid.slice(jid.indexOf('@') + 1);
      const session = await openSession({
        service: service(domain),
        jid,
        password: await readPassword(io),
      });
      io.stdout(`Logged in as ${session.jid}.`);
      await session.close();
      return 0;
    }
  } catch (error) {
    if (isHushError(error)) {
      io.stderr(`hush: ${error.message} (${error.code})`);
      return EXIT[error.code] ?? 1;
    }
    io.stderr(`hush: unexpected error: ${String(error)}`);
    return 1;
  }
  io.stderr(`hush: unknown command or wrong arguments: ${argv.join(' ')}\n${USAGE}`);
  return 2;
}
