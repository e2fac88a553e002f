// The login on each stream a session opens, run from xmpp.js's authentication callback: only
// inside TLS, after the pre-login step (in-band registration), with the best mechanism offered:
// a FAST token (fast.ts), else SCRAM (scram.ts, bound to the TLS session where it can be), PLAIN
// only as a last resort. A login is only good once the server proved it knows the secret.
import type { IqCaller, OnAuthenticate, XmppClient, XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { scramSasl } from './scram-sasl.ts';
import {
  isPlusMechanism,
  SCRAM_MECHANISMS,
  type ChannelBinding,
  type RandomBytes,
} from './scram.ts';
import { fastLogin, type XmppFast } from './fast.ts';
import type { FastToken } from './saved-login.ts';
import type { LoginCredentials } from './login-credentials.ts';
import { encryptedStream, tlsExporterBinding, type RawConnection } from './tls-guard.ts';

export interface SessionLogin {
  /** xmpp.js's authentication callback's work: resolves once logged in and verified. */
  logIn(authenticate: Parameters<OnAuthenticate>[0], mechanisms: readonly string[]): Promise<void>;
  /** The mechanism of the latest login; '' before one succeeded. */
  readonly mechanism: string;
}

/** Installs Hush's SCRAM and FAST mechanisms on `xmpp`; call it once, before the first start. */
export function sessionLogin(deps: {
  readonly xmpp: XmppClient;
  /** The local part of the account's JID. */
  readonly local: string;
  readonly credentials: LoginCredentials;
  readonly beforeAuthenticate?: ((iq: IqCaller) => Promise<void>) | undefined;
  readonly randomBytes?: RandomBytes | undefined;
  /** Why the login failed, which the session reports in place of what xmpp.js makes of it. */
  readonly failed: (error: unknown) => void;
}): SessionLogin {
  const { xmpp, local, credentials } = deps;
  let usedMechanism = '';
  let channelBinding: ChannelBinding | undefined;
  const scram = scramSasl(
    { saslFactory: xmpp.saslFactory, entity: xmpp },
    {
      ...(deps.randomBytes ? { randomBytes: deps.randomBytes } : {}),
      channelBinding: () => channelBinding,
      keys: () => credentials.scramKeys,
    },
  );
  const fast = fastLogin((xmpp as unknown as { fast: XmppFast }).fast, {
    token: () => credentials.fastToken,
    store: (token: FastToken | undefined) => {
      // xmpp.js drops a token the server refused or that does not fit the stream's mechanism;
      // one for another mechanism stays (a device that switches transport back finds it).
      if (token === undefined && credentials.fastToken !== undefined && fast.attempt === undefined)
        return;
      credentials.fastToken = token;
      credentials.changed();
    },
    binding: () => channelBinding,
  });

  const logIn = async (
    authenticate: Parameters<OnAuthenticate>[0],
    mechanisms: readonly string[],
  ): Promise<void> => {
    try {
      // Registration and login only inside TLS (the write guard would stop them anyway; this
      // says why before anything is attempted).
      if (!encryptedStream(xmpp)) {
        throw new HushError(
          'EncryptionRequired',
          'The server did not offer encryption (STARTTLS): the login was not sent. Someone on the network may be removing it.',
        );
      }
      await deps.beforeAuthenticate?.(xmpp.iqCaller);
      await credentials.readPending();
    } catch (error) {
      deps.failed(error);
      throw error;
    }
    const { password } = credentials;
    // SCRAM never shows the password to the server and proves the server knows it (scram.ts);
    // PLAIN hands the password over (inside TLS), so only when nothing else is offered. With a
    // binding, a -PLUS mechanism when offered; otherwise SCRAM says it could have bound (`y`).
    channelBinding = tlsExporterBinding(xmpp);
    const scramMechanism = SCRAM_MECHANISMS.find(
      (name) => mechanisms.includes(name) && (channelBinding || !isPlusMechanism(name)),
    );
    const mechanism =
      scramMechanism ??
      (mechanisms.includes('PLAIN') && password !== undefined ? 'PLAIN' : undefined);
    // XEP-0484: with SASL2 and FAST offered, xmpp.js first tries the token (when there is a usable
    // one for the chosen mechanism) and falls back to `mechanism`; a SCRAM login asks for a token.
    fast.reset();
    scram.reset();
    fast.choose(channelBinding);
    const token = fast.usableToken();
    try {
      if (!mechanism && !token) {
        throw new HushError('ProtocolError', 'The server offers no usable login mechanism.');
      }
      // No password: the SCRAM mechanism logs in with the saved keys (scramSasl's `keys`).
      const login = { username: local, password: password ?? '', ...(token && { token }) };
      await authenticate(
        login,
        mechanism ?? scramMechanism ?? 'SCRAM-SHA-256',
        credentials.userAgent,
      );
      const attempt = fast.attempt;
      if (scram.started()) {
        scram.assertServerVerified();
        const verified = scram.verifiedKeys();
        if (verified && verified !== credentials.scramKeys) {
          credentials.scramKeys = verified;
          credentials.changed();
        }
        usedMechanism = scramMechanism ?? '';
      } else if (attempt) {
        if (attempt.failure) throw attempt.failure;
        if (!attempt.verified) {
          throw new HushError(
            'ProtocolError',
            'The server accepted the login token without proving it knows it: possible impostor.',
          );
        }
        usedMechanism = attempt.mechanism;
      } else {
        // PLAIN (xmpp.js's own) or nothing at all.
        usedMechanism = mechanism ?? '';
      }
    } catch (error) {
      const sasl = error as XmppError & { name?: string };
      // A server that checks channel binding refuses a bound login whose TLS session is not its
      // own: the connection ends somewhere else first.
      deps.failed(
        scramMechanism &&
          channelBinding &&
          sasl.name === 'SASLError' &&
          sasl.condition === 'malformed-request'
          ? new HushError(
              'CertificateUntrusted',
              'The server refused a login bound to this TLS connection: something between you and the server holds a certificate for it and may be reading the connection (or the server cannot check tls-exporter bindings).',
              { cause: error },
            )
          : error,
      );
      // A reconnection whose login fails after xmpp.js went online must not stay online.
      if (xmpp.status === 'online') {
        void (xmpp as unknown as RawConnection).disconnect().catch(() => undefined);
      }
      throw error;
    }
  };

  return {
    logIn,
    get mechanism() {
      return usedMechanism;
    },
  };
}
