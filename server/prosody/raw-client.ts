// A bare XMPP client for the server's tests: one TLS (or plain TCP) socket, the raw XML the server
// sends, and the few steps of a login written out by hand, so a test sees exactly what Prosody
// offers and answers (stream features, SASL and SASL2 failures, stream errors) with no client
// library choosing for it.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { createHmac } from 'node:crypto';
import type { ProsodyServer } from '@hush/test-utils';

export interface RawStream {
  readonly socket: Socket | TLSSocket;
  /** Everything received since the last read that matched. */
  readonly pending: string;
  /** Waits until `pattern` matches what arrived since the last read, and returns that text. */
  read(pattern: RegExp, timeoutMs?: number): Promise<string>;
  write(text: string): void;
  /** Resolves once the server has closed the connection. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

function wrap(socket: Socket | TLSSocket): RawStream {
  let buffer = '';
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    wake?.();
  });
  const closedPromise = new Promise<void>((resolve) => {
    socket.once('close', () => {
      closed = true;
      wake?.();
      resolve();
    });
  });
  socket.on('error', () => undefined);
  return {
    socket,
    get pending() {
      return buffer;
    },
    async read(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(buffer);
        if (match) {
          const end = match.index + match[0].length;
          const text = buffer.slice(0, end);
          buffer = buffer.slice(end);
          return text;
        }
        if (closed) throw new Error(`connection closed before ${pattern}; got: ${buffer}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got: ${buffer}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    },
    write(text) {
      socket.write(text);
    },
    closed: closedPromise,
    isClosed: () => closed,
    destroy: () => socket.destroy(),
  };
}

/** A direct TLS connection (XEP-0368) to the server, from `localAddress` when given. */
export async function connectTls(
  server: ProsodyServer,
  options: { host?: string; localAddress?: string } = {},
): Promise<RawStream> {
  const socket = tlsConnect({
    host: options.host ?? '127.0.0.1',
    port: server.ports.c2sTls,
    servername: server.domain,
    ca: server.caCert,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return wrap(socket);
}

/** A plain TCP connection to the STARTTLS port that sends nothing by itself. */
export async function connectPlain(server: ProsodyServer, host = '127.0.0.1'): Promise<RawStream> {
  const socket = tcpConnect(server.ports.c2s, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return wrap(socket);
}

/** A stream header; `from` (the account) is what makes Prosody offer FAST. */
export function streamHeader(domain: string, from?: string): string {
  return `<?xml version='1.0'?><stream:stream to='${domain}'${from ? ` from='${from}'` : ''} version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
}

/** Opens the stream and returns the stream features. */
export async function openStream(
  stream: RawStream,
  domain: string,
  from?: string,
): Promise<string> {
  stream.write(streamHeader(domain, from));
  return stream.read(/<\/stream:features>/);
}

export const base64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

/** One SASL PLAIN attempt; returns the server's <success/> or <failure/> element as text. */
export async function plainAuth(
  stream: RawStream,
  user: string,
  password: string,
): Promise<string> {
  stream.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${base64(`\0${user}\0${password}`)}</auth>`,
  );
  return stream.read(/<success[^>]*\/>|<success[\s\S]*?<\/success>|<failure[\s\S]*?<\/failure>/);
}

/** HT-SHA-256-NONE (XEP-0484 FAST): the initial response for `token`. */
export function fastResponse(user: string, token: string): string {
  const proof = createHmac('sha256', token).update('Initiator').digest();
  return base64(Buffer.concat([Buffer.from(`${user}\0`), proof]));
}

/** A complete plain-SASL login: PLAIN, the new stream, resource binding. Returns the full JID. */
export async function login(
  stream: RawStream,
  domain: string,
  user: string,
  password: string,
): Promise<string> {
  await openStream(stream, domain);
  const answer = await plainAuth(stream, user, password);
  if (!answer.startsWith('<success')) throw new Error(`login of ${user} failed: ${answer}`);
  await openStream(stream, domain);
  stream.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
  const bound = await stream.read(/<iq[^>]*id=['"]bind['"][\s\S]*?<\/iq>/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1];
  if (!jid) throw new Error(`no resource bound: ${bound}`);
  return jid;
}

/** Sends a ping to the server and returns everything that arrived before its answer. */
export async function roundTrip(stream: RawStream, id = 'sync'): Promise<string> {
  stream.write(`<iq type='get' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  return stream.read(new RegExp(`<iq[^>]*id=['"]${id}['"][^>]*(/>|>[\\s\\S]*?</iq>)`));
}

/**
 * render.sh's production defaults for the login guard and the connection caps, which test servers
 * (startProsody) relax because all their clients share one loopback address.
 */
export const productionLimits = {
  AUTH_FAILURE_DELAY: '1',
  AUTH_ADDRESS_FAILURES: '10',
  AUTH_ACCOUNT_FAILURES: '20',
  CONNECTIONS_PER_ADDRESS: '50',
  UNAUTHENTICATED_CONNECTIONS: '500',
} as const;
