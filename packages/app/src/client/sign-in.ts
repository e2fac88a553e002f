// A session from what the person typed: a sign-up with an invite, or a login with the password.
// The password serves this one login; what logs in again is the saved login it leaves
// (account.ts keeps it in the platform's vault).
import {
  bareJid,
  HushError,
  openSession,
  registerAccount,
  splitJid,
  type LoginVault,
  type SavedLogin,
  type XmppSession,
} from '@hush/core';
import type { CredentialVault, Platform } from '../platform/types.ts';
import type { LogInInput, SignUpInput } from './account-types.ts';
import { readInvite } from './invite-link.ts';

const MIN_PASSWORD = 8;

/** A new session, and where the account finds its server again. */
export interface OpenedSession {
  readonly session: XmppSession;
  readonly service: string;
  readonly resource: string;
}

export interface SignInOptions {
  readonly platform: Pick<Platform, 'defaultService'>;
  /** Keeps a saved login the session made or rotated (a reconnection rotates its token). */
  readonly saveLogin: (jid: string, login: SavedLogin) => Promise<void>;
}

function newResource(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `hush-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Registers the account with the invite, then logs it in. */
export async function signUpSession(
  input: SignUpInput,
  { platform, saveLogin }: SignInOptions,
): Promise<OpenedSession> {
  const invite = readInvite(input.invite);
  const username = input.username.trim();
  if (username === '') throw new HushError('InvalidUsername', 'Choose a name.');
  if (input.password.length < MIN_PASSWORD)
    throw new HushError(
      'InvalidPassword',
      `Use a password of at least ${MIN_PASSWORD} characters.`,
    );
  const service = input.service?.trim() || platform.defaultService(invite.domain);
  const resource = newResource();
  const registration = await registerAccount({
    service,
    invite: invite.uri,
    username,
    password: input.password,
    resource,
  });
  // The sign-up session would redeem the (single-use) invite again on every reconnection, and
  // after the first dropped connection never log in again: chat on a plain login instead.
  const jid = bareJid(registration.jid);
  await registration.close();
  const session = await openSession({
    service,
    jid,
    password: input.password,
    resource,
    // Its saved login: kept instead of the password (and its token, a reconnection rotates it).
    savedLogin: registration.savedLogin,
    onSavedLogin: (login) => void saveLogin(jid, login),
  });
  return { session, service, resource };
}

export async function logInSession(
  input: LogInInput,
  { platform, saveLogin }: SignInOptions,
): Promise<OpenedSession> {
  const jid = bareJid(input.jid.trim());
  const { domain } = splitJid(jid);
  if (input.password === '') throw new HushError('WrongPassword', 'Enter your password.');
  const service = input.service?.trim() || platform.defaultService(domain);
  const resource = newResource();
  const session = await openSession({
    service,
    jid,
    password: input.password,
    resource,
    onSavedLogin: (login) => void saveLogin(jid, login),
  });
  return { session, service, resource };
}

/** The platform's vault as core's LoginVault (an older version's password where it has one). */
export function asLoginVault(vault: CredentialVault): LoginVault {
  return {
    load: (jid) => vault.load(jid),
    save: (jid, login) => vault.save(jid, login),
    forget: (jid) => vault.forget(jid),
    legacyPassword: async (jid) => vault.legacyPassword?.(jid),
    eraseLegacyPassword: async (jid) => vault.eraseLegacyPassword?.(jid),
  };
}
