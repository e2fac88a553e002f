// What a session is asked to open (SessionOptions) and what it hands out (XmppSession).
import type { XmppClient, IqCaller } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { RandomBytes, ScramKeys } from './scram.ts';
import type { SavedLogin } from './saved-login.ts';

export interface SessionOptions {
  /** wss://host:port/xmpp-websocket, xmpps://host:port (direct TLS) or xmpp://host:port (STARTTLS). */
  readonly service: string;
  /** The account's bare JID, user@domain. */
  readonly jid: string;
  /**
   * The password, or else `scramKeys` saved from an earlier login (XmppSession.scramKeys): with
   * them, nothing that reveals the password needs to be kept on the device.
   */
  readonly password?: string;
  readonly scramKeys?: ScramKeys;
  /**
   * What an earlier login left (XmppSession.savedLogin): SCRAM keys, a FAST token and this device's
   * client id. With it no password is needed: the FAST token where the server offers FAST (one
   * round trip, no PBKDF2), else the SCRAM keys.
   */
  readonly savedLogin?: SavedLogin;
  /**
   * Called whenever the saved login changes after the session opened (a token rotated on a
   * reconnection, keys renewed after a password change): store it in place of the old one.
   */
  readonly onSavedLogin?: (login: SavedLogin) => void;
  /**
   * The password or saved login while it is still being read (from a keystore or a database): the
   * connection, TLS and the stream open meanwhile, and only the login waits for it. Rejects, or
   * resolves with neither, when there is nothing to log in with (WrongPassword).
   */
  readonly pendingCredential?: Promise<{
    readonly password?: string;
    readonly savedLogin?: SavedLogin;
  }>;
  readonly resource?: string;
  /**
   * Runs after TLS and before authentication, on the unauthenticated stream: in-band registration
   * plugs in here (see account/register.ts).
   */
  readonly beforeAuthenticate?: (iq: IqCaller) => Promise<void>;
  readonly timeoutMs?: number;
  /** The CSPRNG for SCRAM nonces; defaults to crypto.getRandomValues (login fails without one). */
  readonly randomBytes?: RandomBytes;
  /**
   * Reconnection after a dropped connection, with exponential backoff: the first attempt after
   * `initialDelayMs` (1 s), each further one twice as late up to `maxDelayMs` (60 s), back to the
   * start once online. Stream management (XEP-0198) resumes the stream where the server still holds
   * it, resending what it had not acknowledged.
   */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /**
   * Other addresses of the same server (endpoints.ts finds and orders them): when `service` goes
   * away, reconnections try these in turn. Same forms as `service`.
   */
  readonly alternatives?: readonly string[];
}

export interface XmppSession {
  /** The bound full JID. */
  readonly jid: string;
  /**
   * The SASL mechanism of the login: SCRAM-SHA-256-PLUS (bound to the TLS session), SCRAM-SHA-256,
   * their SHA-1 forms or, as a last resort, PLAIN.
   */
  readonly mechanism: string;
  /**
   * What the next login needs instead of the password (SCRAM's ClientKey and ServerKey for the
   * server's salt), from the latest verified SCRAM login; undefined after a PLAIN one. Keep these,
   * not the password.
   */
  readonly scramKeys: ScramKeys | undefined;
  /**
   * What the next login needs instead of the password: this device's client id, the SCRAM keys and
   * the latest FAST token. Keep this, never the password.
   */
  readonly savedLogin: SavedLogin;
  readonly client: XmppClient;
  send(stanza: Element): Promise<void>;
  /** Sends an IQ and resolves with the result, or rejects with the stanza error. */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  /** Calls `listener` for every incoming stanza; returns the unsubscribe function. */
  onStanza(listener: (stanza: Element) => void): () => void;
  /**
   * The password the next (re)connection logs in with, after a change on the server: the saved
   * keys and token no longer fit it and are dropped.
   */
  updatePassword(password: string): void;
  /**
   * After a password change: a short second login with the new password gets the keys for the
   * server's new salt and a new token for this device, then reports them (onSavedLogin) and keeps
   * them for reconnections.
   */
  renewSavedLogin(): Promise<SavedLogin>;
  /** XEP-0352: tell the server whether someone is looking at the app, so it can hold back noise. */
  setClientState(state: 'active' | 'inactive'): Promise<void>;
  close(): Promise<void>;
}
