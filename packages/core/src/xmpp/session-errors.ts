// What a failed connection, login or request threw (xmpp.js, the socket, the TLS layer, the
// server's error conditions), as the typed HushError a UI can show. ProtocolError is left for what
// no other code describes: a server that broke the protocol or answered what Hush cannot read.
import type { XmppError } from '@xmpp/client';
import { HushError, type HushErrorCode } from '../errors.ts';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  // Written to a connection that was gone, or one the network dropped.
  'EPIPE',
  'ECONNABORTED',
  'ENETDOWN',
  'EHOSTDOWN',
]);
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** A server's error condition that has a code of its own: the code and what to tell the person. */
type Meaning = readonly [code: HushErrorCode, message: string];

/**
 * SASL failures (RFC 6120 §6.5) that say more than "the login failed"; the rest (a mechanism or
 * encoding the two sides disagree on, an aborted exchange) are ProtocolError.
 */
const SASL_CONDITIONS: ReadonlyMap<string, Meaning> = new Map<string, Meaning>([
  ['not-authorized', ['WrongPassword', 'Wrong address or password']],
  ['credentials-expired', ['WrongPassword', 'The password has expired: log in with a new one']],
  ['account-disabled', ['NotAllowed', 'The server has disabled this account']],
  ['encryption-required', ['EncryptionRequired', 'The server wants the login encrypted']],
  // "advisable for the initiating entity to try again later": like a server that is down.
  [
    'temporary-auth-failure',
    ['ServerUnreachable', 'The server cannot log you in right now: try again later'],
  ],
]);

/**
 * Stream errors (RFC 6120 §4.9.3) that are not the protocol going wrong: the server going away,
 * not serving the account's domain, or closing the stream by its rules.
 */
const STREAM_CONDITIONS: ReadonlyMap<string, Meaning> = new Map<string, Meaning>([
  ['connection-timeout', ['Timeout', 'The server closed an idle connection']],
  ['host-gone', ['ServerUnreachable', 'The server no longer serves this address']],
  ['host-unknown', ['ServerUnreachable', 'The server does not serve this address']],
  ['remote-connection-failed', ['ServerUnreachable', 'The server cannot reach its own service']],
  ['system-shutdown', ['ServerUnreachable', 'The server is shutting down']],
  ['policy-violation', ['NotAllowed', 'The server closed the connection by its rules']],
]);

/**
 * Stanza errors (RFC 6120 §8.3.3) with a code of their own, whatever was asked: a refusal, or
 * another server (a contact's) that cannot be reached or did not answer.
 */
const STANZA_CONDITIONS: ReadonlyMap<string, Meaning> = new Map<string, Meaning>([
  ['forbidden', ['NotAllowed', 'The server does not allow this']],
  ['not-allowed', ['NotAllowed', 'The server does not allow this']],
  ['not-authorized', ['NotAllowed', 'The server does not allow this']],
  ['policy-violation', ['NotAllowed', 'The server does not allow this']],
  ['remote-server-not-found', ['ServerUnreachable', "The other person's server cannot be reached"]],
  ['remote-server-timeout', ['Timeout', "The other person's server did not answer in time"]],
]);

/** The code a stanza error's condition has whatever was asked; undefined for the others. */
export function stanzaErrorCode(condition: string | undefined): HushErrorCode | undefined {
  return condition === undefined ? undefined : STANZA_CONDITIONS.get(condition)?.[0];
}

/**
 * The error for a condition of `table`, or undefined if it has none. The server's own text is
 * added where it can say more than the condition (not to a login's refusal: it says no more).
 */
function fromCondition(
  table: ReadonlyMap<string, Meaning>,
  error: XmppError,
  withText = true,
): HushError | undefined {
  const meaning = error.condition === undefined ? undefined : table.get(error.condition);
  if (!meaning) return undefined;
  const [code, message] = meaning;
  const text = withText && error.text ? ` (${error.text})` : '';
  return new HushError(code, `${message}${text}.`, { cause: error });
}

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
    const known = fromCondition(SASL_CONDITIONS, e, false);
    if (known) return known;
    return new HushError('ProtocolError', `Login failed: ${e.condition ?? e.message}`, {
      cause: error,
    });
  }
  const known =
    (e.name === 'StreamError' && fromCondition(STREAM_CONDITIONS, e)) ||
    (e.name === 'StanzaError' && fromCondition(STANZA_CONDITIONS, e));
  if (known) return known;
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
