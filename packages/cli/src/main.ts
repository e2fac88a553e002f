// hush: the command-line Hush client, for people, scripts, bots and tests. Its commands, output and
// exit codes are kept stable:
//   0 ok · 1 unexpected error · 2 usage · 3 wrong password · 4 invite, sign-up or address refused
//   5 server unreachable, certificate not trusted or no answer · 6 no account in the profile
//   7 a message could not be sent
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  bareJid,
  changePassword,
  deleteAccount,
  isHushError,
  openSession,
  parseInvite,
  registerAccount,
  splitJid,
  HushError,
  formatFingerprint,
  checkVoiceLimits,
  downloadFile,
  inspectFile,
  type HushErrorCode,
  type OmemoDeviceInfo,
  type StoredMessage,
} from '@hush/core';
import { connectProfile, openProfile, type Profile, type ProfileClient } from './profile.ts';

export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  env: Record<string, string | undefined>;
  stdin: Readable;
  /** Resolves when the user asks `listen` to stop (Ctrl-C); tests pass their own. */
  interrupted?: Promise<void>;
}

export const USAGE = `Usage: hush [--profile NAME] COMMAND

Account
  register <invite> <username> [--service URL]   create an account with an invite link and keep it
  login <user@domain> [--service URL]            log in and keep the account in this profile
  account password                               change the password (the new one as the password input)
  account delete                                 delete the account on the server, with its history
Contacts
  contacts list                                  contacts, with subscription and online state
  contacts add <user@domain> [name]              add, ask to see their presence, and pre-approve them
  contacts add <xmpp:...?roster;preauth=...>     accept a contact invite link
  contacts remove|block|unblock <user@domain>
Messages
  send <user@domain> <text>                      send a text; waits until the server has it
  listen [--json]                                print messages as they come (one JSON object a line
                                                 with --json) until Ctrl-C
  history <user@domain> [--limit N]              the conversation, oldest first
Files and voice messages (encrypted, XEP-0454; at most 10 MB, voice at most 5 minutes)
  send-file <user@domain> <path>                 encrypt, upload and send a file
  send-voice <user@domain> <audio file>          the same for a recording (M4A/AAC, Ogg, WebM or
                                                 MP4 with Opus); its length is checked first
  listen [--files DIR]                           also downloads, decrypts and checks incoming files
                                                 into DIR (default: the profile's files folder)
Encryption (OMEMO, on by default; --plain sends and reads without it, for plain-text bots only)
  fingerprints [user@domain]                     this device's fingerprint and verification URI, or
                                                 the fingerprints of someone's devices
  devices                                        this account's devices
  trust <user@domain> <fingerprint>              trust a device (also after its key changed)
  distrust <user@domain> <fingerprint>           stop encrypting for a device
  verify <xmpp:...?omemo-sid-N=FINGERPRINT>      mark the devices a scanned code names verified
  verify <user@domain> <fingerprint>             mark one device verified after comparing by hand

The password is read from HUSH_PASSWORD, or else as one line from standard input.
--profile: a folder of its own below HUSH_HOME (default ~/.local/state/hush) per account (default
           "default"). --service: wss://host/xmpp-websocket, xmpps://host:5223 or xmpp://host:5222
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
  EncryptionRequired: 5,
  NotAllowed: 4,
  InvalidPassword: 4,
  NoAccount: 6,
  SendFailed: 7,
  NoOmemoDevice: 7,
  NoTrustedDevice: 7,
  UntrustedIdentity: 7,
  FileTooLarge: 4,
  VoiceTooLong: 4,
  QuotaExceeded: 4,
  UnsupportedContent: 4,
  UploadFailed: 7,
  UploadUnavailable: 7,
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

function formatMessage(message: StoredMessage): string {
  const when = new Date(message.timestamp).toISOString();
  const who = message.direction === 'in' ? message.peer : `me -> ${message.peer}`;
  const note =
    message.state === 'undecryptable' || message.state === 'failed'
      ? ` [${message.state}: ${message.failure?.message ?? ''}]`
      : '';
  return `${when} ${who}: ${message.body}${note}`;
}

function jsonMessage(message: StoredMessage): string {
  const { id, peer, direction, body, timestamp, state, encrypted, originId, failure } = message;
  return JSON.stringify({
    type: 'message',
    id,
    peer,
    direction,
    body,
    timestamp,
    state,
    encrypted,
    originId,
    failure,
  });
}

type Values = {
  service?: string;
  json?: boolean;
  limit?: string;
  plain?: boolean;
  files?: string;
};

/** Waits until the server has the message (it leaves the outbox) or it failed. */
async function untilSent(state: Profile, message: StoredMessage): Promise<StoredMessage> {
  // An unacknowledged message stays in the outbox and goes out with the next command that connects.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const current = await state.storage.messages.get(message.account, message.id);
    if (current?.state === 'failed')
      throw new HushError(
        'SendFailed',
        `${current.failure?.message ?? 'The message could not be sent.'}${current.failure ? ` [${current.failure.code}]` : ''}`,
      );
    if (current && current.state !== 'pending') return current;
    if (Date.now() > deadline)
      throw new HushError(
        'Timeout',
        'The server did not confirm the message; it stays queued and is sent next time.',
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends the files an earlier command could not finish (a cut upload, a crash). */
async function resumeUploads(client: ProfileClient, io: Io): Promise<void> {
  const { sent, failed } = await client.files.resume();
  for (const message of sent)
    io.stderr(`hush: sent a file left over from before to ${message.peer}.`);
  for (const { error } of failed)
    io.stderr(`hush: a file waiting to be sent failed again: ${error.message} (${error.code})`);
}

/** The link of a file message: a body that is exactly one aesgcm:// or https:// URL. */
function fileLink(body: string): string | undefined {
  const text = body.trim();
  return /^(aesgcm|https):\/\/\S+$/i.test(text) ? text : undefined;
}

const EXTENSIONS: Record<string, string> = {
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

async function receiveFile(
  link: string,
  from: string,
  dir: string,
  values: Values,
  io: Io,
): Promise<void> {
  try {
    const { bytes, encrypted } = await downloadFile(link);
    const info = inspectFile(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const extension = EXTENSIONS[info.mimeType.split(';')[0] ?? ''] ?? 'bin';
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${sha256.slice(0, 16)}.${extension}`);
    await writeFile(path, bytes, { mode: 0o600 });
    const report = {
      type: 'file',
      from,
      kind: info.kind,
      mimeType: info.mimeType,
      ...(info.audio ? { durationMs: info.audio.durationMs } : {}),
      size: bytes.length,
      sha256,
      encrypted,
      path,
    };
    io.stdout(
      values.json
        ? JSON.stringify(report)
        : `  ${info.kind} ${info.mimeType}${info.audio ? ` ${(info.audio.durationMs / 1000).toFixed(1)} s` : ''}, ${bytes.length} bytes, sha256 ${sha256} -> ${path}`,
    );
  } catch (error) {
    const failure = isHushError(error) ? error : new HushError('DownloadFailed', String(error));
    io.stdout(
      values.json
        ? JSON.stringify({ type: 'file-error', from, code: failure.code, message: failure.message })
        : `  the file could not be fetched: ${failure.message} (${failure.code})`,
    );
  }
}

async function run(
  command: string,
  args: string[],
  values: Values,
  profile: () => Promise<Profile>,
  io: Io,
): Promise<number> {
  const defaultService = (domain: string) => values.service ?? `wss://${domain}/xmpp-websocket`;
  switch (`${command}/${args.length}`) {
    case 'register/2': {
      const [invite = '', username = ''] = args;
      const { domain } = parseInvite(invite);
      const password = await readPassword(io);
      if (password.length < 8)
        throw new HushError('InvalidPassword', 'Choose a password of at least 8 characters.');
      const session = await registerAccount({
        service: defaultService(domain),
        invite,
        username,
        password,
      });
      const state = await profile();
      await state.storage.accounts.put({
        jid: `${username}@${domain}`,
        service: defaultService(domain),
        password,
        resource: 'hush-cli',
      });
      await session.close();
      // This device's OMEMO keys are made and published now, so people can write to it at once.
      if (!values.plain) await (await connectProfile(state)).close();
      io.stdout(`Account ${username}@${domain} created.`);
      return 0;
    }
    case 'login/1': {
      const jid = bareJid(args[0] ?? '');
      const { domain } = splitJid(jid);
      const password = await readPassword(io);
      const session = await openSession({ service: defaultService(domain), jid, password });
      const state = await profile();
      await state.storage.accounts.put({
        jid,
        service: defaultService(domain),
        password,
        resource: 'hush-cli',
      });
      await session.close();
      if (!values.plain) await (await connectProfile(state)).close();
      io.stdout(`Logged in as ${session.jid}.`);
      return 0;
    }
    case 'send/2':
    case 'send-file/2':
    case 'send-voice/2': {
      const [to = '', what = ''] = args;
      const peer = bareJid(to);
      splitJid(peer);
      const file = command === 'send' ? undefined : new Uint8Array(await readFile(what));
      // A voice message is checked before anything is uploaded: its length, size and format.
      if (command === 'send-voice' && file) checkVoiceLimits(file);
      const state = await profile();
      const client = await connectProfile(state, { plain: values.plain === true });
      try {
        await resumeUploads(client, io);
        const message = file
          ? await client.files.send(peer, file)
          : await client.messenger.sendText(peer, what);
        const current = await untilSent(state, message);
        io.stdout(
          values.json
            ? jsonMessage(current)
            : `Sent ${command === 'send' ? '' : command === 'send-voice' ? 'a voice message ' : 'a file '}to ${peer}.`,
        );
        return 0;
      } finally {
        await client.close();
      }
    }
    case 'listen/0': {
      const state = await profile();
      const filesDir = values.files ?? join(state.dir, 'files');
      let downloads = Promise.resolve();
      const client = await connectProfile(state, {
        plain: values.plain === true,
        onEvent: (event) => {
          if (event.type === 'message' && event.message.direction === 'in') {
            io.stdout(values.json ? jsonMessage(event.message) : formatMessage(event.message));
            const link = fileLink(event.message.body);
            if (link && event.message.state === 'received') {
              const from = event.message.peer;
              downloads = downloads.then(() => receiveFile(link, from, filesDir, values, io));
            }
          } else if (event.type === 'error') {
            io.stderr(`hush: ${event.error.message} (${event.error.code})`);
          }
        },
        onOmemoEvent: (event) => {
          if (event.type === 'identity-changed')
            io.stderr(
              `hush: device ${event.deviceId} of ${event.jid} has a new key; it gets nothing until you trust it (hush fingerprints ${event.jid}).`,
            );
        },
      });
      const { session } = client;
      if (values.json)
        io.stdout(
          JSON.stringify({
            type: 'ready',
            jid: session.jid,
            ...(client.omemo ? { deviceId: client.omemo.deviceId } : {}),
          }),
        );
      else io.stderr(`Listening as ${session.jid}; Ctrl-C stops.`);
      await resumeUploads(client, io);
      await (io.interrupted ??
        new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
      await downloads;
      await client.close();
      return 0;
    }
    case 'history/1': {
      const peer = bareJid(args[0] ?? '');
      splitJid(peer);
      const limit = Number(values.limit ?? '50');
      if (!Number.isInteger(limit) || limit <= 0) {
        io.stderr('hush: --limit takes a positive whole number');
        return 2;
      }
      const state = await profile();
      const account = await state.account();
      // Catch up first so the history includes what arrived while no hush command ran.
      try {
        await (await connectProfile(state, { plain: values.plain === true })).close();
      } catch (error) {
        if (!isHushError(error) || EXIT[error.code] !== 5) throw error;
        io.stderr(`hush: offline (${error.message}); showing what is stored here.`);
      }
      for (const message of await state.storage.messages.history(account.jid, peer, { limit })) {
        io.stdout(values.json ? jsonMessage(message) : formatMessage(message));
      }
      return 0;
    }
    case 'account/1': {
      const state = await profile();
      const account = await state.account();
      const client = await connectProfile(state, { plain: true });
      const { session, messenger } = client;
      try {
        if (args[0] === 'password') {
          const password = await readPassword(io);
          if (password.length < 8)
            throw new HushError('InvalidPassword', 'Choose a password of at least 8 characters.');
          await changePassword(session, password);
          await state.storage.accounts.put({ ...account, password });
          io.stdout('Password changed.');
          return 0;
        }
        if (args[0] === 'delete') {
          await messenger.close();
          await deleteAccount(session);
          await state.storage.accounts.remove(account.jid);
          io.stdout(`Account ${account.jid} deleted from the server.`);
          return 0;
        }
        return -1;
      } finally {
        await client.close();
      }
    }
    default:
      if (command === 'contacts' && args.length >= 1)
        return contactsCommand(args, values, profile, io);
      if (['fingerprints', 'devices', 'trust', 'distrust', 'verify'].includes(command))
        return trustCommand(command, args, values, profile, io);
      return -1;
  }
}

async function contactsCommand(
  args: string[],
  values: Values,
  profile: () => Promise<Profile>,
  io: Io,
): Promise<number> {
  const [action = '', target = '', name] = args;
  if (!['list', 'add', 'remove', 'block', 'unblock'].includes(action)) return -1;
  if ((action === 'list') !== (args.length === 1) || args.length > (action === 'add' ? 3 : 2))
    return -1;
  const state = await profile();
  const client = await connectProfile(state, { plain: values.plain === true });
  const { contacts } = client;
  try {
    switch (action) {
      case 'list': {
        const blocked = new Set(await contacts.blocked());
        for (const contact of await contacts.list()) {
          const online = contacts.available(contact.jid) ? 'online' : 'offline';
          if (values.json)
            io.stdout(
              JSON.stringify({
                ...contact,
                online: online === 'online',
                blocked: blocked.has(contact.jid),
              }),
            );
          else
            io.stdout(
              `${contact.jid}${contact.name ? ` (${contact.name})` : ''} ${contact.subscription} ${online}${blocked.has(contact.jid) ? ' blocked' : ''}`,
            );
        }
        return 0;
      }
      case 'add': {
        const contact = target.startsWith('xmpp:')
          ? await contacts.acceptInviteLink(target)
          : await contacts.add(target, name);
        io.stdout(`Added ${contact.jid}.`);
        return 0;
      }
      case 'remove':
        await contacts.remove(target);
        io.stdout(`Removed ${bareJid(target)}.`);
        return 0;
      case 'block':
        await contacts.block(target);
        io.stdout(`Blocked ${bareJid(target)}.`);
        return 0;
      default:
        await contacts.unblock(target);
        io.stdout(`Unblocked ${bareJid(target)}.`);
        return 0;
    }
  } finally {
    await client.close();
  }
}

function deviceLine(device: OmemoDeviceInfo): string {
  const notes = [
    device.current ? 'this device' : undefined,
    device.active ? undefined : 'not listed',
    device.stale ? 'stale' : undefined,
  ].filter(Boolean);
  const fingerprint = device.fingerprint
    ? formatFingerprint(device.fingerprint)
    : '(key not seen yet)';
  return `${device.deviceId} ${fingerprint} ${device.trust}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

async function trustCommand(
  command: string,
  args: string[],
  values: Values,
  profile: () => Promise<Profile>,
  io: Io,
): Promise<number> {
  const shapes: Record<string, number[]> = {
    fingerprints: [0, 1],
    devices: [0],
    trust: [2],
    distrust: [2],
    verify: [1, 2],
  };
  if (!shapes[command]?.includes(args.length)) return -1;
  const state = await profile();
  const client = await connectProfile(state);
  const omemo = client.omemo;
  const print = (devices: OmemoDeviceInfo[]) => {
    for (const device of devices)
      io.stdout(values.json ? JSON.stringify({ type: 'device', ...device }) : deviceLine(device));
  };
  try {
    if (!omemo) return -1;
    const [first = '', second = ''] = args;
    switch (command) {
      case 'fingerprints':
        if (args.length === 0) {
          const fingerprint = await omemo.fingerprint();
          const uri = await omemo.verificationUri();
          if (values.json)
            io.stdout(
              JSON.stringify({ type: 'fingerprint', deviceId: omemo.deviceId, fingerprint, uri }),
            );
          else io.stdout(`${omemo.deviceId} ${formatFingerprint(fingerprint)}\n${uri}`);
        } else print(await omemo.devices(bareJid(first)));
        return 0;
      case 'devices':
        print(await omemo.devices());
        return 0;
      case 'trust':
        print([await omemo.trust(first, second)]);
        return 0;
      case 'distrust':
        print([await omemo.distrust(first, second)]);
        return 0;
      default:
        print(
          args.length === 1 ? await omemo.verifyUri(first) : [await omemo.verify(first, second)],
        );
        return 0;
    }
  } finally {
    await client.close();
  }
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        service: { type: 'string' },
        profile: { type: 'string', default: 'default' },
        json: { type: 'boolean' },
        limit: { type: 'string' },
        plain: { type: 'boolean' },
        files: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`hush: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr)(USAGE);
    return values.help ? 0 : 2;
  }
  let opened: Profile | undefined;
  const profile = async () => (opened ??= await openProfile(io.env, values.profile));
  try {
    const code = await run(command, args, values, profile, io);
    if (code === -1) {
      io.stderr(`hush: unknown command or wrong arguments: ${argv.join(' ')}\n${USAGE}`);
      return 2;
    }
    return code;
  } catch (error) {
    if (isHushError(error)) {
      io.stderr(`hush: ${error.message} (${error.code})`);
      return EXIT[error.code] ?? 1;
    }
    io.stderr(`hush: unexpected error: ${String(error)}`);
    return 1;
  } finally {
    await opened?.close();
  }
}
