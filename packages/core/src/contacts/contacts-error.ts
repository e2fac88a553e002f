// What the server answered when it refused (or did not answer) a contacts request, as the typed
// HushError a UI can show; and the check of an address the person typed before it is sent.
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid } from '../xmpp/session.ts';
import { bareJid } from '../util/jid.ts';

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
  switch (condition) {
    case 'not-allowed':
    case 'forbidden':
    case 'not-authorized':
      return new HushError('NotAllowed', `The server does not let you ${action}${detail}.`, {
        cause: error,
      });
    case 'jid-malformed':
      return new HushError('InvalidUsername', 'That is not a valid address.', { cause: error });
    default:
      return new HushError(
        'ProtocolError',
        `Could not ${action}: ${condition ?? (error instanceof Error ? error.message : String(error))}`,
        { cause: error },
      );
  }
}

/** A bare address the user typed or a link named, checked; throws InvalidUsername otherwise. */
export function contactAddress(jid: string): string {
  const address = bareJid(jid.trim());
  splitJid(address);
  if (/\s/.test(address)) throw new HushError('InvalidUsername', `'${jid}' is not an address.`);
  return address;
}
