// What a failed connection or login threw (xmpp.js, the socket, the TLS layer), as the typed
// HushError a UI can show.
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';

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
  // xmpp.js gives up waiting for the stream header or an answer (connection-patches.ts's
  // CONNECTION_TIMEOUT_MS).
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
