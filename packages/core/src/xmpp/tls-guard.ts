// Keeps the account inside TLS: whether the stream is encrypted with a verified certificate, the
// TLS session's channel binding for SCRAM and FAST (RFC 9266 tls-exporter), and a guard below
// xmpp.js that lets nothing but the stream's framing and <starttls/> be written in clear.
import type { XmppClient } from '@xmpp/client';
import { HushError } from '../errors.ts';
import type { ChannelBinding } from './scram.ts';

/** What xmpp.js's connection exposes beyond its typings: its writer and its socket. */
export interface RawConnection {
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
export function tlsExporterBinding(xmpp: XmppClient): ChannelBinding | undefined {
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
export function encryptedStream(xmpp: XmppClient): boolean {
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
export function guardClearText(xmpp: XmppClient, refused: (error: HushError) => void): void {
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
