// A CLI profile: one account's state in its own folder (mode 0700): a SQLite file (mode 0600) holding
// the account with its saved login (SCRAM keys and a FAST token, never the password), the messages,
// the outbox and this device's OMEMO keys (which never leave it). `--profile NAME` picks the folder
// below HUSH_HOME (default ~/.local/state/hush), so several accounts can run side by side.
// Each profile is a device of its own with its own XMPP resource, so two profiles of one account (on
// one machine or two) are both online and both receive.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '@hush/storage-node';
import {
  FileSender,
  HushError,
  openSavedSession,
  sqlLoginVault,
  startClient,
  type LoginVault,
  type HushClient,
  type Messenger,
  type XmppSession,
  type MessengerEvent,
  type OmemoEvent,
  type Storage,
  type StoredAccount,
} from '@hush/core';

export interface Profile {
  readonly dir: string;
  readonly storage: Storage;
  /** Where the account's saved login lives (the same SQLite file). */
  readonly logins: LoginVault;
  account(): Promise<StoredAccount>;
  close(): Promise<void>;
}

/** The profile's folder, made (0700) if it is new. */
export async function profileDir(
  env: Record<string, string | undefined>,
  name: string,
): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new HushError('InvalidUsername', `'${name}' is not a usable profile name`);
  const home = env.HUSH_HOME ?? join(env.HOME ?? homedir(), '.local/state/hush');
  const dir = join(home, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A resource of this device's own: two devices with one resource would push each other off. */
export function newResource(): string {
  return `hush-cli-${randomBytes(6).toString('hex')}`;
}

/** The one resource every profile shared before each got its own. */
const SHARED_RESOURCE = 'hush-cli';

export async function openProfile(
  env: Record<string, string | undefined>,
  name: string,
): Promise<Profile> {
  const dir = await profileDir(env, name);
  const storage = await openSqliteStorage(join(dir, 'hush.db'));
  const logins = sqlLoginVault(storage);
  if (!logins) {
    await storage.close();
    throw new HushError('ProtocolError', 'The profile storage keeps no saved login.');
  }
  return {
    dir,
    storage,
    logins,
    async account() {
      const [account] = await storage.accounts.list();
      if (!account)
        throw new HushError(
          'NoAccount',
          `Profile '${name}' has no account yet: run hush register or hush login.`,
        );
      return account;
    },
    close: () => storage.close(),
  };
}

/** How long closing waits for the server to acknowledge what this connection sent from the outbox. */
const DRAIN_MS = 10_000;

/**
 * Waits (bounded) until the server has acknowledged every outbox entry while the stream is up: a
 * command that connects sends what earlier ones left behind, and leaving before the acks would send
 * it all once more next time. Woken by the Messenger's `pending` count and the stream going away.
 */
async function untilOutboxDrained(
  messenger: Messenger,
  client: XmppSession['client'],
): Promise<void> {
  if (client.status !== 'online' || messenger.getSnapshot().pending === 0) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop();
      client.removeListener('offline', done);
      client.removeListener('disconnect', done);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_MS);
    const stop = messenger.subscribe((event) => {
      if (event.type === 'pending' && event.pending === 0) done();
      if (event.type === 'status' && event.status === 'closed') done();
    });
    client.on('offline', done);
    client.on('disconnect', done);
  });
}

/** A connected account; close() also closes the session. */
export type ProfileClient = HushClient & { readonly files: FileSender; close(): Promise<void> };

/**
 * Connects the profile's account: contacts, OMEMO (unless `plain`), then the Messenger with its
 * archive catch-up and outbox resend.
 */
export async function connectProfile(
  profile: Profile,
  options: {
    onEvent?: (event: MessengerEvent) => void;
    onOmemoEvent?: (event: OmemoEvent) => void;
    plain?: boolean;
  } = {},
): Promise<ProfileClient> {
  let account = await profile.account();
  if (!account.resource || account.resource === SHARED_RESOURCE) {
    account = { ...account, resource: newResource() };
    await profile.storage.accounts.put(account);
  }
  // The saved login (no password, no PBKDF2); a password an older version stored logs in once and
  // is erased. Nothing usable: WrongPassword (exit 3), and `hush login` asks for the password.
  const session = await openSavedSession({
    service: account.service,
    jid: account.jid,
    resource: account.resource,
    vault: profile.logins,
  });
  try {
    const client = await startClient({
      session,
      storage: profile.storage,
      encryption: !options.plain,
      clientType: 'pc',
      ...(options.onEvent ? { onMessengerEvent: options.onEvent } : {}),
      ...(options.onOmemoEvent ? { onOmemoEvent: options.onOmemoEvent } : {}),
    });
    return {
      ...client,
      files: new FileSender({ session, storage: profile.storage, messenger: client.messenger }),
      async close() {
        await untilOutboxDrained(client.messenger, session.client);
        await client.close();
        await session.close();
      },
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
