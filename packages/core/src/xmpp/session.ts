// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- xmpp.js ships no types; these ambient declarations must reach every program that imports core
/// <reference path="../types/xmpp-js.d.ts" />
// RFC 6120 XMPP Core — https://www.rfc-editor.org/rfc/rfc6120
// One authenticated XMPP session on xmpp.js: wss:// (browsers, React Native, Node 22) or, on Node,
// xmpp:// (STARTTLS) and xmpps:// (direct TLS). Failures become typed HushErrors a UI can show.
//
// Nothing of the account (username, SASL data, registration, stanzas) leaves before the stream is
// encrypted with a verified certificate: ws:// is refused outright, and on xmpp:// a stream whose
// features lack STARTTLS (a man in the middle can strip it) ends in EncryptionRequired. Before TLS
// only the stream's own framing and the request to start TLS are written (guardClearText).
// Where TLS is reachable (xmpp://, xmpps:// on Node), SCRAM binds the login to the TLS session
// (scram.ts, RFC 9266 tls-exporter), so a relay with a mis-issued certificate cannot log in.
import {
  client,
  type XmppClient,
  type IqCaller,
  type OnAuthenticate,
  type XmppError,
} from '@xmpp/client';
import xml, { type Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import { scramSasl } from './scram-sasl.ts';
import {
  isPlusMechanism,
  SCRAM_MECHANISMS,
  type ChannelBinding,
  type RandomBytes,
  type ScramKeys,
} from './scram.ts';
import { failOver, keepReconnecting, startWithoutOrphans } from './reconnect.ts';
import { fastLogin, type XmppFast } from './fast.ts';
import { newClientId, type FastToken, type SavedLogin } from './saved-login.ts';

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

/** XEP-0352 Client State Indication — https://xmpp.org/extensions/xep-0352.html */
export const NS_CSI = 'urn:xmpp:csi:0';

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

export function splitJid(jid: string): { local: string; domain: string } {
  const at = jid.indexOf('@');
  const local = jid.slice(0, at);
  const domain = jid.slice(at + 1);
  if (at <= 0 || domain === '' || domain.includes('/') || domain.includes('@')) {
    throw new HushError('InvalidUsername', `'${jid}' is not an address of the form name@server`);
  }
  return { local, domain };
}

/** Throws unless `service` is a transport Hush encrypts: wss://, xmpps:// or xmpp:// (STARTTLS). */
export function assertEncryptedService(service: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(service)?.[1]?.toLowerCase();
  if (scheme === 'wss' || scheme === 'xmpps' || scheme === 'xmpp') return;
  if (scheme === 'ws' || scheme === 'http') {
    throw new HushError(
      'EncryptionRequired',
      `'${service}' is not encrypted: use wss://, xmpps:// or xmpp:// (STARTTLS).`,
    );
  }
  throw new HushError(
    'ProtocolError',
    `'${service}' is not a server address: use wss://host/xmpp-websocket, xmpps://host:5223 or xmpp://host:5222.`,
  );
}

/** What xmpp.js's connection exposes beyond its typings: its writer and its socket. */
interface RawConnection {
  write(data: string): Promise<void>;
  /** Closes the stream and the socket; the reconnect module then starts over. */
  disconnect(): Promise<unknown>;
  /** @xmpp/tls's or @xmpp/websocket's socket; for TLS, `socket` is Node's TLSSocket. */
  socket?: {
    secure?: boolean;
    socket?: {
      authorized?: boolean;
      getProtocol?: () => string | null;
      exportKeyingMaterial?: (length: number, label: string) => Uint8Array;
    };
  } | null;
}

/**
 * RFC 9266 tls-exporter: 32 bytes of the TLS 1.3 session's exporter under the label
 * "EXPORTER-Channel-Binding" (in TLS 1.3 no context and an empty one are the same). Undefined where
 * the transport hides TLS (WebSocket) or the session is older than TLS 1.3.
 */
function tlsExporterBinding(xmpp: XmppClient): ChannelBinding | undefined {
  const tls = (xmpp as unknown as RawConnection).socket?.socket;
  if (typeof tls?.exportKeyingMaterial !== 'function' || tls.getProtocol?.() !== 'TLSv1.3') {
    return undefined;
  }
  return {
    type: 'tls-exporter',
    data: new Uint8Array(tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding')),
  };
}

/**
 * Whether the stream is encrypted with a verified certificate: TLS from the first byte (xmpps://,
 * wss://) or after STARTTLS. Node's TLS socket says whether its chain and name were verified
 * (false if verification was turned off); a WebSocket cannot be asked, and the platform verifies it.
 */
function encryptedStream(xmpp: XmppClient): boolean {
  if (!xmpp.isSecure()) return false;
  const inner = (xmpp as unknown as RawConnection).socket?.socket;
  return inner?.authorized === undefined || inner.authorized;
}

/** The stream header, its close and the request to start TLS: all that may be written in clear. */
const CLEAR_TEXT_ALLOWED =
  /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<stream:stream\b[^>]*>|<starttls xmlns=["']urn:ietf:params:xml:ns:xmpp-tls["']\s*\/>|<\/stream:stream>)?\s*$/;

/**
 * Refuses every write on an unencrypted stream but the framing above: whatever a stripped or forged
 * stream tempts xmpp.js into (SASL, registration, resource binding, stanzas) never reaches the
 * socket. `refused` learns of each refusal.
 */
function guardClearText(xmpp: XmppClient, refused: (error: HushError) => void): void {
  const connection = xmpp as unknown as RawConnection;
  const write = connection.write.bind(connection);
  connection.write = (data: string) => {
    if (encryptedStream(xmpp) || CLEAR_TEXT_ALLOWED.test(data)) return write(data);
    const error = new HushError(
      'EncryptionRequired',
      'The server did not offer encryption (STARTTLS): nothing was sent. Someone on the network may be removing it.',
    );
    refused(error);
    return Promise.reject(error);
  };
}

/**
 * xmpp.js reads socket data into its parser, which is gone once the stream closed: bytes still in
 * flight after a stream error (a server that removed the account sends <conflict/> and closes)
 * would throw a TypeError from the socket's event handler and end the process. They are dropped.
 * Must run before the first connection: xmpp.js binds the handler when it first attaches a socket.
 */
function dropDataAfterClose(xmpp: XmppClient): void {
  const connection = xmpp as unknown as { _onData(data: unknown): void; parser: unknown };
  const onData = connection._onData.bind(connection);
  connection._onData = (data: unknown) => {
    if (connection.parser) onData(data);
  };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/**
 * How long xmpp.js waits for the stream header, a stream-level answer or a socket to close. Its
 * default, 2 s, fails logins to a busy server (a cluster node under load answers the stream header
 * later than that) as if the server were broken.
 */
const CONNECTION_TIMEOUT_MS = 6_000;

/**
 * A server that stops answering without closing the connection (its machine gone, a network cut on
 * the way) shows only through stream management's ack requests: xmpp.js asks every 30 s while idle
 * (250 ms after anything sent) and gives up after 60 s without an answer, so up to 90 s went by
 * before a client moved to another node. Asking every 15 s and giving up after 15 s notices it
 * within 30 s, 15 s after a message; an ack request is some 30 bytes.
 */
const ACK_REQUEST_INTERVAL_MS = 15_000;
const ACK_TIMEOUT_MS = 15_000;

/** What session.ts needs of the sockets xmpp.js attaches (TCP, TLS, WebSocket). */
interface SocketLike {
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

const ignoreSocketError = (): void => undefined;

/** Maps what xmpp.js, the socket or the TLS layer threw to a HushError. */
export function toHushError(error: unknown): HushError {
  if (error instanceof HushError) return error;
  const e = (error ?? {}) as XmppError & { cause?: { code?: string }; name?: string };
  const code = e.code ?? e.cause?.code ?? '';
  if (e.message === 'STARTTLS_FAILURE') {
    return new HushError('EncryptionRequired', 'The server refused to start TLS.', {
      cause: error,
    });
  }
  if (e.name === 'SASLError') {
    if (e.condition === 'not-authorized') {
      return new HushError('WrongPassword', 'Wrong address or password.', { cause: error });
    }
    return new HushError('ProtocolError', `Login failed: ${e.condition ?? e.message}`, {
      cause: error,
    });
  }
  // xmpp.js gives up waiting for the stream header or an answer (CONNECTION_TIMEOUT_MS).
  if (e.name === 'TimeoutError') {
    return new HushError('Timeout', 'The server did not answer in time.', { cause: error });
  }
  if (UNTRUSTED.test(code) || UNTRUSTED.test(e.message ?? '')) {
    return new HushError('CertificateUntrusted', "The server's TLS certificate is not trusted.", {
      cause: error,
    });
  }
  if (
    UNREACHABLE.has(code) ||
    /ECONNREFUSED|ENOTFOUND|fetch failed|WebSocket/i.test(e.message ?? '')
  ) {
    return new HushError('ServerUnreachable', 'The server cannot be reached.', { cause: error });
  }
  // A failed WebSocket handshake tells nothing more (no errno, no TLS detail, by design of the
  // WebSocket API): the server is down, refused, answered without upgrading, or its certificate was
  // not trusted.
  if (code === 'ECONNERROR' || /non-101|network error/i.test(e.message ?? '')) {
    return new HushError(
      'ServerUnreachable',
      'The server cannot be reached (or its TLS certificate is not trusted).',
      { cause: error },
    );
  }
  return new HushError('ProtocolError', e.message || 'Unexpected error from the server.', {
    cause: error,
  });
}

export async function openSession(options: SessionOptions): Promise<XmppSession> {
  const { local, domain } = splitJid(options.jid);
  assertEncryptedService(options.service);
  // Reconnections log in again: after a password change they must use the new one.
  let password = options.password;
  let scramKeys = options.scramKeys ?? options.savedLogin?.scram;
  let fastToken = options.savedLogin?.fast;
  let clientId = options.savedLogin?.clientId ?? newClientId();
  const nothingToLogInWith = () =>
    new HushError('WrongPassword', 'No password or saved login to log in with.');
  const pending = options.pendingCredential;
  // Read once, when the login needs it; a rejection the connection never reached is not unhandled.
  void pending?.catch(() => undefined);
  if (!pending && password === undefined && scramKeys === undefined && fastToken === undefined) {
    throw nothingToLogInWith();
  }
  let opened = false;
  const savedLogin = (): SavedLogin => ({
    clientId,
    ...(scramKeys && { scram: scramKeys }),
    ...(fastToken && { fast: fastToken }),
  });
  /** Reports a change once the session is handed out (openSession's caller reads it before). */
  const changed = () => {
    if (opened) options.onSavedLogin?.(savedLogin());
  };
  // XEP-0388 user agent: its id is the client id FAST tokens are bound to.
  const userAgent = xml('user-agent', { id: clientId }, xml('software', {}, 'Hush'));
  let credentialRead = false;
  let failure: unknown;
  let usedMechanism = '';
  let channelBinding: ChannelBinding | undefined;
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
      login = logIn(authenticate, mechanisms);
      // Awaited by openSession for the first login; a reconnection's refused login (a deleted
      // account, a changed password) must not become an unhandled rejection that ends the process.
      login.catch(() => undefined);
      return login;
    },
  });
  const logIn = async (
    authenticate: Parameters<OnAuthenticate>[0],
    mechanisms: readonly string[],
  ): Promise<void> => {
    try {
      // Registration and login only inside TLS (the write guard below would stop them anyway;
      // this says why before anything is attempted).
      if (!encryptedStream(xmpp)) {
        throw new HushError(
          'EncryptionRequired',
          'The server did not offer encryption (STARTTLS): the login was not sent. Someone on the network may be removing it.',
        );
      }
      await options.beforeAuthenticate?.(xmpp.iqCaller);
      if (pending && !credentialRead) {
        const credential = await pending;
        credentialRead = true;
        password ??= credential.password;
        scramKeys ??= credential.savedLogin?.scram;
        fastToken ??= credential.savedLogin?.fast;
        if (credential.savedLogin) {
          clientId = credential.savedLogin.clientId;
          userAgent.attrs.id = clientId;
        }
        if (password === undefined && scramKeys === undefined && fastToken === undefined)
          throw nothingToLogInWith();
      }
    } catch (error) {
      failure = error;
      throw error;
    }
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
      const credentials = { username: local, password: password ?? '', ...(token && { token }) };
      await authenticate(credentials, mechanism ?? scramMechanism ?? 'SCRAM-SHA-256', userAgent);
      const attempt = fast.attempt;
      if (scram.started()) {
        scram.assertServerVerified();
        const verified = scram.verifiedKeys();
        if (verified && verified !== scramKeys) {
          scramKeys = verified;
          changed();
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
      failure =
        scramMechanism &&
        channelBinding &&
        sasl.name === 'SASLError' &&
        sasl.condition === 'malformed-request'
          ? new HushError(
              'CertificateUntrusted',
              'The server refused a login bound to this TLS connection: something between you and the server holds a certificate for it and may be reading the connection (or the server cannot check tls-exporter bindings).',
              { cause: error },
            )
          : error;
      // A reconnection whose login fails after xmpp.js went online must not stay online.
      if (xmpp.status === 'online') {
        void (xmpp as unknown as RawConnection).disconnect().catch(() => undefined);
      }
      throw error;
    }
  };
  guardClearText(xmpp, (error) => {
    failure ??= error;
  });
  dropDataAfterClose(xmpp);
  (options.alternatives ?? []).forEach(assertEncryptedService);
  const stopFailover = failOver(xmpp, [options.service, ...(options.alternatives ?? [])]);
  startWithoutOrphans(xmpp);
  const scram = scramSasl(
    { saslFactory: xmpp.saslFactory, entity: xmpp },
    {
      ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
      channelBinding: () => channelBinding,
      keys: () => scramKeys,
    },
  );
  const fast = fastLogin((xmpp as unknown as { fast: XmppFast }).fast, {
    token: () => fastToken,
    store: (token: FastToken | undefined) => {
      // xmpp.js drops a token the server refused or that does not fit the stream's mechanism;
      // one for another mechanism stays (a device that switches transport back finds it).
      if (token === undefined && fastToken !== undefined && fast.attempt === undefined) return;
      fastToken = token;
      changed();
    },
    binding: () => channelBinding,
  });
  Object.assign(xmpp.streamManagement, {
    requestAckInterval: ACK_REQUEST_INTERVAL_MS,
    timeout: ACK_TIMEOUT_MS,
  });
  // xmpp.js lets go of a socket it gave up on (no answer to an ack request, a TLS handshake that
  // never ends) without waiting for it to close, and takes its error listener with it: when the
  // silent server later resets the connection, that socket's error had no listener and ended the
  // process. Every socket the connection takes on keeps one that ignores it (the connection has
  // moved on), the TLS socket STARTTLS puts in place of the first one included.
  const connection = xmpp as unknown as { _attachSocket(socket: SocketLike): void };
  const attachSocket = connection._attachSocket.bind(xmpp);
  connection._attachSocket = (socket: SocketLike) => {
    socket.on('error', ignoreSocketError);
    attachSocket(socket);
  };
  let csiOffered = false;
  let streamManagementOffered = false;
  // ejabberd 24.12 sends stream features again right after a SASL2 success (XEP-0388 has no stream
  // restart there), offering the stream management that Bind 2 just enabled: xmpp.js would take
  // them for a new stream's, try to resume and then enable, be refused both, and turn stream
  // management off for the session (no acks, no resumption). On a stream already online that
  // offer is dropped before xmpp.js sees it.
  // xmpp.js's Connection is an EventEmitter; its typings leave prependListener out.
  const first = xmpp as unknown as {
    prependListener(event: 'element', listener: (element: Element) => void): void;
  };
  first.prependListener('element', (element) => {
    if (xmpp.status === 'online' && element.is('features', 'http://etherx.jabber.org/streams'))
      element.children = element.children.filter(
        (child) => typeof child === 'string' || !child.is('sm', 'urn:xmpp:sm:3'),
      );
  });
  xmpp.on('nonza', (element) => {
    if (element.is('features', 'http://etherx.jabber.org/streams')) {
      csiOffered = element.getChild('csi', NS_CSI) !== undefined;
      streamManagementOffered ||= element.getChild('sm', 'urn:xmpp:sm:3') !== undefined;
    }
  });
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
    if (!usedMechanism) throw new HushError('ProtocolError', 'The server let the login skip SASL.');
  } catch (error) {
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw toHushError(failure ?? error);
  } finally {
    clearTimeout(timer);
  }

  // xmpp.js 0.14 resets its inbound stanza counter when <enabled/> arrives, even for stanzas read
  // in the same chunk just before it; its next ack then counts backwards and Prosody kills the
  // stream. Waiting (briefly; a server without XEP-0198 never enables it) until stream management is
  // on keeps callers from sending and receiving in that window.
  if (streamManagementOffered) {
    const deadline = Date.now() + 3000;
    while (!xmpp.streamManagement.enabled && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const initialDelay = options.reconnect?.initialDelayMs ?? 1000;
  const maxDelay = options.reconnect?.maxDelayMs ?? 60_000;
  // xmpp.js waits `reconnect.delay` before each attempt; its own listener has already read the delay
  // for this attempt when ours runs, so ours sets the next one.
  xmpp.reconnect.delay = initialDelay;
  xmpp.on('disconnect', () => {
    xmpp.reconnect.delay = Math.min(xmpp.reconnect.delay * 2, maxDelay);
  });
  const resetBackoff = () => {
    xmpp.reconnect.delay = initialDelay;
  };
  xmpp.on('online', resetBackoff);
  xmpp.streamManagement.on('resumed', resetBackoff);
  // A stream that opened reached the server: the network is back, so the next cut starts the
  // backoff over. Without this, a storm of cuts (each before 'online') left the delay at its
  // maximum long after the network was stable.
  // Only a stream inside TLS counts: a man in the middle that strips STARTTLS must not earn a
  // retry every second.
  xmpp.on('status', (status: string) => {
    if (status === 'open' && xmpp.isSecure()) resetBackoff();
  });
  const stopWatching = keepReconnecting(xmpp, timeoutMs);

  // XEP-0352: the server forgets the client's state with the stream. A new stream (not a resumed
  // one) starts 'active' on the server, so an idle app says 'inactive' again.
  let clientState: 'active' | 'inactive' = 'active';
  xmpp.on('online', () => {
    if (clientState === 'inactive' && csiOffered)
      xmpp.send(xml('inactive', { xmlns: NS_CSI })).catch(() => undefined);
  });

  opened = true;
  return {
    jid: xmpp.jid?.toString() ?? options.jid,
    get mechanism() {
      return usedMechanism;
    },
    get scramKeys() {
      return scramKeys;
    },
    get savedLogin() {
      return savedLogin();
    },
    client: xmpp,
    send: (stanza) => xmpp.send(stanza),
    request: (iq, timeout) => xmpp.iqCaller.request(iq, timeout),
    onStanza(listener) {
      xmpp.on('stanza', listener);
      return () => xmpp.removeListener('stanza', listener);
    },
    updatePassword(newPassword) {
      password = newPassword;
      scramKeys = undefined;
      fastToken = undefined;
    },
    async renewSavedLogin() {
      if (password === undefined) {
        throw new HushError('WrongPassword', 'No password to derive a new saved login from.');
      }
      const renewal = await openSession({
        service: options.service,
        jid: options.jid,
        password,
        savedLogin: { clientId },
        ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
        timeoutMs,
      });
      try {
        const renewed = renewal.savedLogin;
        scramKeys = renewed.scram;
        fastToken = renewed.fast;
        changed();
        return savedLogin();
      } finally {
        await renewal.close();
      }
    },
    async setClientState(state) {
      clientState = state;
      // Only when the server offered CSI; otherwise the hint is meaningless and would be an error.
      if (csiOffered && xmpp.status === 'online') await xmpp.send(xml(state, { xmlns: NS_CSI }));
    },
    async close() {
      stopWatching();
      stopFailover();
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}
