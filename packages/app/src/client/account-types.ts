// What the app's account (account.ts) shows and takes: its phase and snapshot, the sign-up and
// login forms, and what one connected account has.
import type { Contacts, HushClient, HushError, Messenger, Omemo, XmppSession } from '@hush/core';

/** 'unavailable': this device's storage could not be opened; `error` says why, start() tries again. */
export type AccountPhase =
  'starting' | 'unavailable' | 'signedOut' | 'offline' | 'connecting' | 'online';

export interface AccountSnapshot {
  readonly phase: AccountPhase;
  /** The account's bare JID once there is one. */
  readonly jid?: string;
  readonly service?: string;
  /** What the person should see about the last failure (login, sign-up, connection). */
  readonly error?: HushError | undefined;
  /** A sign-up or login is under way. */
  readonly busy: boolean;
  /** Contacts whose device's identity key changed: nothing is encrypted for it until decided. */
  readonly identityChanged?: readonly string[];
}

export interface SignUpInput {
  readonly invite: string;
  readonly username: string;
  readonly password: string;
  /** wss://…; defaults to the platform's guess for the invite's domain. */
  readonly service?: string;
}

export interface LogInInput {
  readonly jid: string;
  readonly password: string;
  readonly service?: string;
}

/** What one connected account has. */
export interface Connection {
  readonly session: XmppSession;
  readonly messenger: Messenger;
  readonly contacts: Contacts;
  readonly omemo?: Omemo;
  readonly client: HushClient;
}
