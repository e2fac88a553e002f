// Logging a device in again from what it keeps: the saved login (xmpp/saved-login.ts: SCRAM keys, a
// FAST token, the device's client id), never the password. Where the device kept the password (older
// versions of Hush), the first login with it turns it into a saved login and erases it.
import { HushError, isHushError } from '../errors.ts';
import {
  openSession,
  toHushError,
  type SessionOptions,
  type XmppSession,
} from '../xmpp/session.ts';
import type { SavedLogin } from '../xmpp/saved-login.ts';

/**
 * Where a platform keeps the saved login: the CLI's profile (SQLite, mode 0600), the phone's
 * keystore, the web's IndexedDB. One saved login per account.
 */
export interface LoginVault {
  load(jid: string): Promise<SavedLogin | undefined>;
  save(jid: string, login: SavedLogin): Promise<void>;
  forget(jid: string): Promise<void>;
  /** The password an older version kept for this account, if it is still there. */
  legacyPassword(jid: string): Promise<string | undefined>;
  /** Erases that password for good (with what storage keeps of deleted data). */
  eraseLegacyPassword(jid: string): Promise<void>;
}

export type SavedSessionOptions = Omit<
  SessionOptions,
  'password' | 'scramKeys' | 'savedLogin' | 'onSavedLogin' | 'pendingCredential'
> & {
  readonly vault: LoginVault;
  /** Told of a saved login that changed on a reconnection, after the vault has it. */
  readonly onSavedLogin?: (login: SavedLogin) => void;
};

/**
 * Opens a session from the vault's saved login (FAST token or SCRAM keys; no PBKDF2), or from a
 * password an older version kept, which is then replaced by a saved login and erased. Every later
 * change (a rotated token, keys renewed after a password change) is saved as it comes.
 * Rejects with HushError 'WrongPassword' when only the password can log in now (nothing saved, or
 * keys and token outdated by a password change elsewhere): the person is asked for it.
 */
export async function openSavedSession(options: SavedSessionOptions): Promise<XmppSession> {
  const { vault, onSavedLogin, ...session } = options;
  const stored = Promise.all([vault.load(session.jid), vault.legacyPassword(session.jid)]);
  const keep = (login: SavedLogin) =>
    void vault.save(session.jid, login).then(
      () => onSavedLogin?.(login),
      () => undefined,
    );
  // The connection opens while the vault is read; the login waits for what it holds.
  const first = stored.then(([saved, legacy]) => {
    if (saved === undefined && legacy === undefined) {
      throw new HushError(
        'WrongPassword',
        'This device has no saved login: log in with the password.',
      );
    }
    return saved ? { savedLogin: saved } : { password: legacy ?? '' };
  });
  let opened: XmppSession;
  let legacy: string | undefined;
  try {
    opened = await openSession({ ...session, pendingCredential: first, onSavedLogin: keep }).catch(
      async (error: unknown) => {
        const [saved, kept] = await stored;
        legacy = kept;
        // Keys outdated, but an older version's password is still here: it may be the new one.
        if (saved && kept !== undefined && isHushError(toHushError(error), 'WrongPassword'))
          return openSession({ ...session, password: kept, onSavedLogin: keep });
        throw error;
      },
    );
    legacy = (await stored)[1];
  } catch (error) {
    const failure = toHushError(error);
    // A kept password the server refuses is of no use any more: it goes too.
    if (legacy !== undefined && isHushError(failure, 'WrongPassword'))
      await vault.eraseLegacyPassword(session.jid);
    throw failure;
  }
  try {
    await vault.save(session.jid, opened.savedLogin);
    if (legacy !== undefined) await vault.eraseLegacyPassword(session.jid);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

/**
 * After a login or sign-up with the password: keeps the session's saved login (and nothing of the
 * password), erasing a password an older version kept.
 */
export async function keepSavedLogin(
  vault: LoginVault,
  jid: string,
  session: XmppSession,
): Promise<void> {
  await vault.save(jid, session.savedLogin);
  // Always: the record may have been rewritten without it already, leaving its bytes behind.
  await vault.eraseLegacyPassword(jid);
}
