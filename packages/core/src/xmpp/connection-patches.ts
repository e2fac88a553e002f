// Where xmpp.js's connection would fail a session on its own: a stream-level wait too short for a
// busy server, socket data read after the stream closed, and sockets left without an error
// listener. Each patch is applied once, before the first connection.
import type { XmppClient } from '@xmpp/client';

/**
 * How long xmpp.js waits for the stream header, a stream-level answer or a socket to close. Its
 * default, 2 s, fails logins to a busy server (a cluster node under load answers the stream header
 * later than that) as if the server were broken.
 */
export const CONNECTION_TIMEOUT_MS = 6_000;

/**
 * xmpp.js reads socket data into its parser, which is gone once the stream closed: bytes still in
 * flight after a stream error (a server that removed the account sends <conflict/> and closes)
 * would throw a TypeError from the socket's event handler and end the process. They are dropped.
 * Must run before the first connection: xmpp.js binds the handler when it first attaches a socket.
 */
export function dropDataAfterClose(xmpp: XmppClient): void {
  const connection = xmpp as unknown as { _onData(data: unknown): void; parser: unknown };
  const onData = connection._onData.bind(connection);
  connection._onData = (data: unknown) => {
    if (connection.parser) onData(data);
  };
}

/** What this needs of the sockets xmpp.js attaches (TCP, TLS, WebSocket). */
interface SocketLike {
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

const ignoreSocketError = (): void => undefined;

/**
 * xmpp.js lets go of a socket it gave up on (no answer to an ack request, a TLS handshake that
 * never ends) without waiting for it to close, and takes its error listener with it: when the
 * silent server later resets the connection, that socket's error had no listener and ended the
 * process. Every socket the connection takes on keeps one that ignores it (the connection has
 * moved on), the TLS socket STARTTLS puts in place of the first one included.
 */
export function keepSocketErrorListeners(xmpp: XmppClient): void {
  const connection = xmpp as unknown as { _attachSocket(socket: SocketLike): void };
  const attachSocket = connection._attachSocket.bind(xmpp);
  connection._attachSocket = (socket: SocketLike) => {
    socket.on('error', ignoreSocketError);
    attachSocket(socket);
  };
}

/** What this needs of xmpp.js's IQ caller: its table of replies awaited, by stanza id. */
interface IqCallerLike {
  handlers: Map<string, { promise: Promise<unknown> }>;
}

/**
 * xmpp.js's IQ caller awaits the reply only once the request is written; an error reply that comes
 * sooner (a fast server refusing at once: ejabberd refusing an archive field it lacks) rejects a
 * promise nothing handles yet. Node calls that an unhandled rejection, and libsignal's curve25519
 * build, loaded with OMEMO, aborts the process on any. Each awaited reply is handled from the start;
 * the caller still gets the error when it awaits it.
 */
export function handleIqRepliesAtOnce(xmpp: XmppClient): void {
  const caller = (xmpp as unknown as { iqCaller: IqCallerLike }).iqCaller;
  const handlers = caller.handlers;
  caller.handlers = new (class extends Map<string, { promise: Promise<unknown> }> {
    override set(id: string, deferred: { promise: Promise<unknown> }): this {
      deferred.promise.catch(() => undefined);
      return super.set(id, deferred);
    }
  })(handlers);
}
