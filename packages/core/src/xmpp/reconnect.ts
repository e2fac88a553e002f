// Reconnection that never gives up. xmpp.js reconnects after every 'disconnect', but a connection
// attempt that fails before its socket opens may never reach 'disconnect': Node 22's WebSocket
// (undici 6, https://github.com/nodejs/undici/issues/3546) reports a refused or failed handshake
// ("non-101 status") with an 'error' and no 'close', so the client stays 'connecting' for good, and
// an attempt that reaches a half-dead server can wait
// forever for the socket or the stream header. Both end here in a 'disconnect', so the next attempt
// is scheduled with the usual backoff.
import type { XmppClient } from '@xmpp/client';

/** The parts of xmpp.js's Connection this needs, which its public surface does not expose. */
interface ConnectionInternals {
  socket: { end(): void; on?(event: 'error', listener: () => void): void } | null;
  _detachSocket(): void;
  _status(status: string, ...args: unknown[]): void;
}

const ATTEMPT_STATES = new Set(['connecting', 'connect', 'opening']);

/**
 * Watches `xmpp` so that a failed or stuck connection attempt ends in 'disconnect' (and so in the
 * next reconnection); `attemptTimeoutMs` bounds an attempt from 'connecting' to an open stream.
 * Returns the function that stops watching.
 */
export function keepReconnecting(xmpp: XmppClient, attemptTimeoutMs: number): () => void {
  // xmpp.js keeps these internal; they are stable across its 0.13-0.14 releases.
  const connection = xmpp as unknown as ConnectionInternals;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reconnecting = false;

  const abandon = (reason: string) => {
    if (!ATTEMPT_STATES.has(xmpp.status)) return;
    clearTimeout(timer);
    const socket = connection.socket;
    connection._detachSocket();
    // Closing a WebSocket that is still connecting makes it report an error; with xmpp.js no
    // longer listening, an 'error' event with no listener would end the process.
    socket?.on?.('error', () => undefined);
    try {
      socket?.end();
    } catch {
      // The socket never opened; there is nothing to close.
    }
    connection._status('disconnect', { clean: false, reason: new Error(reason) });
  };

  const onStatus = (status: string) => {
    if (status === 'connecting' && reconnecting) {
      clearTimeout(timer);
      timer = setTimeout(() => abandon('connection attempt timed out'), attemptTimeoutMs);
    } else if (!ATTEMPT_STATES.has(status)) {
      clearTimeout(timer);
    }
  };
  // Only attempts of the reconnection loop: the first start() has its own timeout and error path.
  const onReconnecting = () => {
    reconnecting = true;
  };
  const onOnline = () => {
    reconnecting = false;
  };
  const onError = () => {
    // Once the socket is up, a failure closes it and xmpp.js sees the 'close' itself.
    if (reconnecting && xmpp.status === 'connecting') abandon('connection attempt failed');
  };
  xmpp.on('status', onStatus);
  xmpp.reconnect.on('reconnecting', onReconnecting);
  xmpp.on('online', onOnline);
  xmpp.on('error', onError);
  return () => {
    clearTimeout(timer);
    xmpp.removeListener('status', onStatus);
    xmpp.reconnect.removeListener('reconnecting', onReconnecting);
    xmpp.removeListener('online', onOnline);
    xmpp.removeListener('error', onError);
  };
}

/** The part of xmpp.js's client that turns a service address into socket options. */
interface SocketParameters {
  socketParameters(service: string): Record<string, unknown> | undefined;
}

/**
 * Several addresses of one server (endpoints.ts orders them, RFC 6120 §3.2, XEP-0368): a
 * reconnection tries the address that was online last first (where a stream can be resumed), and
 * each failed attempt moves on to the next, round the list, so a node that went away means a new
 * stream on another. Direct TLS to any of them checks the certificate against the XMPP domain, not
 * the host name the address gives (RFC 6120 §13.7.2.1, XEP-0368), as STARTTLS already does.
 * `services[0]` is the one the first connection uses. Returns the function that stops it.
 */
export function failOver(xmpp: XmppClient, services: readonly string[]): () => void {
  const domain = xmpp.options.domain;
  const connection = xmpp as unknown as SocketParameters;
  const socketParameters = connection.socketParameters.bind(connection);
  connection.socketParameters = (service: string) => {
    const parameters = socketParameters(service);
    return service.startsWith('xmpps:') && parameters
      ? { ...parameters, servername: domain }
      : parameters;
  };
  if (services.length < 2) return () => undefined;
  let current = Math.max(0, services.indexOf(xmpp.options.service));
  let attempts = 0;
  // xmpp.js reads options.service right after 'reconnecting', for the connection it then opens.
  const onReconnecting = () => {
    const next = services[(current + attempts) % services.length];
    attempts++;
    if (next !== undefined) xmpp.options.service = next;
  };
  const onOnline = () => {
    current = Math.max(0, services.indexOf(xmpp.options.service));
    attempts = 0;
  };
  xmpp.reconnect.on('reconnecting', onReconnecting);
  xmpp.on('online', onOnline);
  xmpp.streamManagement.on('resumed', onOnline);
  return () => {
    xmpp.reconnect.removeListener('reconnecting', onReconnecting);
    xmpp.removeListener('online', onOnline);
    xmpp.streamManagement.removeListener('resumed', onOnline);
  };
}

/** What xmpp.js's Connection.start uses, which its typings do not expose. */
interface StartInternals {
  connect(service: string): Promise<unknown>;
  open(options: { domain: string; lang?: string }): Promise<unknown>;
  start(): Promise<unknown>;
  options: { service: string; domain: string; lang?: string };
}

/**
 * xmpp.js's start() makes the promise it returns for 'online' (which an 'error' event rejects)
 * before it opens the stream, and returns it only once the stream is open. When opening fails (a
 * server slower than xmpp.js's own 2 s to answer the stream header), start() rejects and that
 * promise is left behind; the connection carries on until it is stopped, and the refused login it
 * may still reach emits an 'error' that rejects the abandoned promise with nobody listening: an
 * unhandled SASLError, which ends a process that treats those as fatal (libsignal's curve25519
 * build does). This start() does the same, and leaves nothing behind.
 */
export function startWithoutOrphans(xmpp: XmppClient): void {
  const connection = xmpp as unknown as StartInternals;
  connection.start = async () => {
    if (xmpp.status !== 'offline') throw new Error('Connection is not offline');
    const { service, domain, lang } = connection.options;
    await connection.connect(service);
    const online = new Promise((resolve, reject) => {
      const settle = (done: (value: unknown) => void) => (value: unknown) => {
        xmpp.removeListener('online', onOnline);
        xmpp.removeListener('error', onError);
        done(value);
      };
      const onOnline = settle(resolve);
      const onError = settle(reject);
      xmpp.on('online', onOnline);
      xmpp.on('error', onError);
    });
    online.catch(() => undefined);
    await connection.open({ domain, ...(lang === undefined ? {} : { lang }) });
    return online;
  };
}
