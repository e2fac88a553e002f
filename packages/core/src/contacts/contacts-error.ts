// What the server answered when it refused (or did not answer) a contacts request, as the typed
// HushError a UI can show (ProtocolError only for an answer no other code describes); and the
// check of an address the person typed before it is sent.
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid } from '../xmpp/session.ts';
import { stanzaErrorCode, toHushError } from '../xmpp/session-errors.ts';
import { bareJid } from '../util/jid.ts';

/**
 * Conditions by which the account's own server says it has no such service (the blocking command
 * or spam reports not enabled): to the person, the server does not let them.
 */
const NOT_OFFERED = new Set(['service-unavailable', 'feature-not-implemented']);

/** `action` completes "trying to …" and "does not let you …": 'add a contact'. */
export function contactsError(error: unknown, action: string): HushError {
  if (error instanceof HushError) return error;
  const { condition, text, name } = (error ?? {}) as XmppError;
  const detail = text ? ` (${text})` : '';
  if (name === 'TimeoutError') {
    return new HushError('Timeout', `The server did not answer while trying to ${action}.`, {
      cause: error,
    });
  }
  if (condition === 'jid-malformed') {
    return new HushError('InvalidUsername', 'That is not a valid address.', { cause: error });
  }
  const code = NOT_OFFERED.has(condition ?? '') ? 'NotAllowed' : stanzaErrorCode(condition);
  if (code === 'NotAllowed') {
    return new HushError('NotAllowed', `The server does not let you ${action}${detail}.`, {
      cause: error,
    });
  }
  if (code) {
    return new HushError(code, `Could not ${action}: ${condition}${detail}`, { cause: error });
  }
  // No answer from the server at all: the connection failed under the request.
  if (condition === undefined) {
    const failure = toHushError(error);
    if (failure.code !== 'ProtocolError') return failure;
  }
  return new HushError(
    'ProtocolError',
    `Could not ${action}: ${condition ?? (error instanceof Error ? error.message : String(error))}`,
    { cause: error },
  );
}

/** A bare address the user typed or a link named, checked; throws InvalidUsername otherwise. */
export function contactAddress(jid: string): string {
  const address = bareJid(jid.trim());
  splitJid(address);
  if (/\s/.test(address)) throw new HushError('InvalidUsername', `'${jid}' is not an address.`);
  return address;
}
