// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- xmpp.js ships no types; these ambient declarations must reach every program that imports core
/// <reference path="../types/xmpp-js.d.ts" />
// RFC 6120 XMPP Core — https://www.rfc-editor.org/rfc/rfc6120
// One authenticated XMPP session on xmpp.js: wss:// (browsers, React Native, Node 22) or, on Node,
// xmpp:// (STARTTLS) and xmpps:// (direct TLS). Failures become typed HushErrors a UI can show.
// This file wires the parts together; where their order matters, it says why.
//
// Nothing of the account (username, SASL data, registration, stanzas) leaves before the stream is
// encrypted with a verified certificate: ws:// is refused outright, and on xmpp:// a stream whose
// features lack STARTTLS (a man in the middle can strip it) ends in EncryptionRequired. Before TLS
// only the stream's own framing and the request to start TLS are written (tls-guard.ts).
// Where TLS is reachable (xmpp://, xmpps:// on Node), SCRAM binds the login to the TLS session
// (scram.ts, RFC 9266 tls-exporter), so a relay with a mis-issued certificate cannot log in.
import { client } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { failOver, keepReconnecting, startWithoutOrphans } from './reconnect.ts';
import { assertEncryptedService, splitJid } from './address.ts';
import { guardClearText } from './tls-guard.ts';
import { toHushError } from './session-errors.ts';
import {
  CONNECTION_TIMEOUT_MS,
  dropDataAfterClose,
  handleIqRepliesAtOnce,
  keepSocketErrorListeners,
} from './connection-patches.ts';
import * as streamManagement from './stream-management.ts';
import { clientStateIndication } from './client-state.ts';
import { backOffReconnections } from './backoff.ts';
import { LoginCredentials } from './login-credentials.ts';
import { sessionLogin } from './login.ts';
import type { SessionOptions, XmppSession } from './session-types.ts';

export type { SessionOptions, XmppSession } from './session-types.ts';
export { NS_CSI } from './client-state.ts';
export { splitJid, assertEncryptedService } from './address.ts';
export { toHushError } from './session-errors.ts';

export async function openSession(options: SessionOptions): Promise<XmppSession> {
  const { local, domain } = splitJid(options.jid);
  assertEncryptedService(options.service);
  const credentials = new LoginCredentials(options);
  let failure: unknown;
  let login: Promise<void> | undefined;
  const xmpp = client({
    service: options.service,
    domain,
    timeout: CONNECTION_TIMEOUT_MS,
    ...(options.resource ? { resource: options.resource } : {}),
    // The account's name in the stream header (xmpp.js sends it inside TLS only): Prosody offers
    // FAST to a stream that says whose it is.
    username: local,
    // With SASL2 and Bind 2, xmpp.js goes online inside the handling of <success/>, before this
    // callback has checked the server's signature: `login` is the callback's outcome, awaited
    // before the session is handed out.
    credentials: (authenticate, mechanisms) => {
      login = signIn.logIn(authenticate, mechanisms);
      // Awaited by openSession for the first login; a reconnection's refused login (a deleted
      // account, a changed password) must not become an unhandled rejection that ends the process.
      login.catch(() => undefined);
      return login;
    },
  });
  guardClearText(xmpp, (error) => {
    failure ??= error;
  });
  dropDataAfterClose(xmpp);
  (options.alternatives ?? []).forEach(assertEncryptedService);
  const stopFailover = failOver(xmpp, [options.service, ...(options.alternatives ?? [])]);
  startWithoutOrphans(xmpp);
  const signIn = sessionLogin({
    xmpp,
    local,
    credentials,
    beforeAuthenticate: options.beforeAuthenticate,
    randomBytes: options.randomBytes,
    failed: (error) => {
      failure = error;
    },
  });
  streamManagement.askForAcksOften(xmpp);
  keepSocketErrorListeners(xmpp);
  handleIqRepliesAtOnce(xmpp);
  streamManagement.dropOfferWhenOnline(xmpp);
  const clientState = clientStateIndication(xmpp);
  const streamManagementOffered = streamManagement.watchOffer(xmpp);
  // Socket errors are also emitted as events; without a listener Node would treat them as fatal.
  xmpp.on('error', (error) => {
    failure ??= error;
  });

  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const started = xmpp.start();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new HushError('Timeout', `No answer from the server within ${timeoutMs / 1000} s.`),
          ),
        timeoutMs,
      );
    });
    await Promise.race([started, timedOut]);
    await Promise.race([login, timedOut]);
    if (!signIn.mechanism)
      throw new HushError('ProtocolError', 'The server let the login skip SASL.');
  } catch (error) {
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw toHushError(failure ?? error);
  } finally {
    clearTimeout(timer);
  }

  await streamManagement.untilEnabled(xmpp, streamManagementOffered());
  backOffReconnections(xmpp, options.reconnect);
  const stopWatching = keepReconnecting(xmpp, timeoutMs);
  clientState.repeatOnNewStreams();

  credentials.opened();
  return {
    jid: xmpp.jid?.toString() ?? options.jid,
    get mechanism() {
      return signIn.mechanism;
    },
    get scramKeys() {
      return credentials.scramKeys;
    },
    get savedLogin() {
      return credentials.savedLogin();
    },
    client: xmpp,
    send: (stanza) => xmpp.send(stanza),
    request: (iq, timeout) => xmpp.iqCaller.request(iq, timeout),
    onStanza(listener) {
      xmpp.on('stanza', listener);
      return () => xmpp.removeListener('stanza', listener);
    },
    updatePassword(newPassword) {
      credentials.updatePassword(newPassword);
    },
    async renewSavedLogin() {
      if (credentials.password === undefined) {
        throw new HushError('WrongPassword', 'No password to derive a new saved login from.');
      }
      const renewal = await openSession({
        service: options.service,
        jid: options.jid,
        password: credentials.password,
        savedLogin: { clientId: credentials.clientId },
        ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
        timeoutMs,
      });
      try {
        credentials.renew(renewal.savedLogin);
        return credentials.savedLogin();
      } finally {
        await renewal.close();
      }
    },
    setClientState: (state) => clientState.set(state),
    async close() {
      stopWatching();
      stopFailover();
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}
