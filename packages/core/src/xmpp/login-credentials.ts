// What one session logs in with, on its first stream and on every reconnection: the password or
// the saved login (SCRAM keys, FAST token, this device's client id), read from a pending source
// when the login first needs it, and kept up to date as the server renews them.
import xml, { type Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import type { ScramKeys } from './scram.ts';
import { newClientId, type FastToken, type SavedLogin } from './saved-login.ts';
import type { SessionOptions } from './session-types.ts';

const nothingToLogInWith = () =>
  new HushError('WrongPassword', 'No password or saved login to log in with.');

export class LoginCredentials {
  // Reconnections log in again: after a password change they must use the new one.
  password: string | undefined;
  scramKeys: ScramKeys | undefined;
  fastToken: FastToken | undefined;
  clientId: string;
  /** XEP-0388 user agent: its id is the client id FAST tokens are bound to. */
  readonly userAgent: Element;
  readonly #pending: SessionOptions['pendingCredential'];
  readonly #onSavedLogin: SessionOptions['onSavedLogin'];
  #pendingRead = false;
  #opened = false;

  /** Throws WrongPassword when there is nothing to log in with, now or pending. */
  constructor(
    options: Pick<
      SessionOptions,
      'password' | 'scramKeys' | 'savedLogin' | 'pendingCredential' | 'onSavedLogin'
    >,
  ) {
    this.password = options.password;
    this.scramKeys = options.scramKeys ?? options.savedLogin?.scram;
    this.fastToken = options.savedLogin?.fast;
    this.clientId = options.savedLogin?.clientId ?? newClientId();
    this.#onSavedLogin = options.onSavedLogin;
    this.#pending = options.pendingCredential;
    // Read once, when the login needs it; a rejection the connection never reached is not unhandled.
    void this.#pending?.catch(() => undefined);
    if (!this.#pending && !this.#any()) throw nothingToLogInWith();
    this.userAgent = xml('user-agent', { id: this.clientId }, xml('software', {}, 'Hush'));
  }

  savedLogin(): SavedLogin {
    return {
      clientId: this.clientId,
      ...(this.scramKeys && { scram: this.scramKeys }),
      ...(this.fastToken && { fast: this.fastToken }),
    };
  }

  /** From now on changes are reported (openSession's caller reads the first saved login itself). */
  opened(): void {
    this.#opened = true;
  }

  /** Reports a change of the saved login once the session is handed out. */
  changed(): void {
    if (this.#opened) this.#onSavedLogin?.(this.savedLogin());
  }

  /** Waits for the pending credential the first time a login needs it; rejects when it gives none. */
  async readPending(): Promise<void> {
    if (!this.#pending || this.#pendingRead) return;
    const credential = await this.#pending;
    this.#pendingRead = true;
    this.password ??= credential.password;
    this.scramKeys ??= credential.savedLogin?.scram;
    this.fastToken ??= credential.savedLogin?.fast;
    if (credential.savedLogin) {
      this.clientId = credential.savedLogin.clientId;
      this.userAgent.attrs.id = this.clientId;
    }
    if (!this.#any()) throw nothingToLogInWith();
  }

  /** A new password: the saved keys and token no longer fit it. */
  updatePassword(password: string): void {
    this.password = password;
    this.scramKeys = undefined;
    this.fastToken = undefined;
  }

  /** Keys and token from a second login after a password change; reported as a change. */
  renew(renewed: SavedLogin): void {
    this.scramKeys = renewed.scram;
    this.fastToken = renewed.fast;
    this.changed();
  }

  #any(): boolean {
    return (
      this.password !== undefined || this.scramKeys !== undefined || this.fastToken !== undefined
    );
  }
}
