// XEP-0077 In-Band Registration — https://xmpp.org/extensions/xep-0077.html
// Managing the logged-in account: change its password (§3.3) and delete it (§3.2, "cancel an
// existing registration"). Both go to the account's own server as jabber:iq:register sets.
import xml from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid, type XmppSession } from '../xmpp/session.ts';
import { NS_REGISTER } from './register.ts';

function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash >= 0 ? jid.slice(0, slash) : jid;
}

function accountError(error: unknown, action: 'change the password' | 'delete the account') {
  if (error instanceof HushError) return error;
  const { condition, text, name } = (error ?? {}) as XmppError;
  const detail = text ? ` (${text})` : '';
  if (name === 'TimeoutError') {
    return new HushError('Timeout', `The server did not answer; try to ${action} again.`, {
      cause: error,
    });
  }
  switch (condition) {
    // §3.3: not-authorized when the server wants more than an authenticated stream, not-allowed
    // when it does not let accounts do this at all; Prosody answers forbidden to some policies.
    case 'not-authorized':
    case 'not-allowed':
    case 'forbidden':
    case 'service-unavailable':
    case 'feature-not-implemented':
      return new HushError('NotAllowed', `This server does not let you ${action}${detail}.`, {
        cause: error,
      });
    case 'not-acceptable':
      return new HushError('InvalidPassword', `The server did not accept this password${detail}.`, {
        cause: error,
      });
    case 'bad-request':
      return new HushError(
        'ProtocolError',
        `The server found the request to ${action} incomplete${detail}.`,
        { cause: error },
      );
    default:
      return new HushError(
        'ProtocolError',
        `Could not ${action}: ${condition ?? (error instanceof Error ? error.message : String(error))}`,
        { cause: error },
      );
  }
}

/**
 * Sets a new password for the session's account (XEP-0077 §3.3). The session stays logged in and
 * its saved login is renewed for the new password (reported through onSavedLogin); Prosody logs out
 * the account's other devices, which must log in again with the new password.
 */
export async function changePassword(session: XmppSession, newPassword: string): Promise<void> {
  if (newPassword === '') throw new HushError('InvalidPassword', 'The password cannot be empty.');
  const { local, domain } = splitJid(bareOf(session.jid));
  try {
    await session.request(
      xml(
        'iq',
        { type: 'set', to: domain },
        xml(
          'query',
          { xmlns: NS_REGISTER },
          xml('username', {}, local),
          xml('password', {}, newPassword),
        ),
      ),
    );
  } catch (error) {
    throw accountError(error, 'change the password');
  }
  session.updatePassword(newPassword);
  // The server has a new salt and dropped this device's token: derive the keys for it and get a
  // new token now, so the device keeps a saved login and not the password. Should that fail, the
  // session's next login with the new password (held in memory only) derives them instead.
  await session.renewSavedLogin().catch(() => undefined);
}

/**
 * Deletes the session's account on its server (XEP-0077 §3.2) and closes the session. The server
 * may close the stream right after deleting, before or instead of the result (§3.2 allows it;
 * Prosody sends the result, then ends the stream with not-authorized "Account deleted"), so a
 * stream the server ends after the request also counts as done. A connection that drops for any
 * other reason leaves it unknown whether the account is gone: that rejects with ServerUnreachable.
 */
export async function deleteAccount(session: XmppSession, timeoutMs = 20_000): Promise<void> {
  const { domain } = splitJid(bareOf(session.jid));
  const client = session.client;
  // Reconnecting to an account that no longer exists would only fail, over and over.
  client.reconnect.stop();

  let streamError: XmppError | undefined;
  const onError = (error: XmppError) => {
    streamError ??= error;
  };
  let onDisconnect = () => {};
  const disconnected = new Promise<'disconnected'>((resolve) => {
    onDisconnect = () => resolve('disconnected');
  });
  client.on('error', onError);
  client.on('disconnect', onDisconnect);
  try {
    const outcome = await Promise.race([
      session
        .request(
          xml(
            'iq',
            { type: 'set', to: domain },
            xml('query', { xmlns: NS_REGISTER }, xml('remove')),
          ),
          timeoutMs,
        )
        .then(() => 'deleted' as const),
      disconnected,
    ]);
    if (outcome === 'disconnected') {
      // A stream error from the server (Prosody: not-authorized) or a clean close is its answer;
      // a socket error is a network failure.
      const ended = streamError === undefined || streamError.name === 'StreamError';
      if (!ended) {
        throw new HushError(
          'ServerUnreachable',
          'The connection dropped before the server confirmed; the account may still exist.',
          { cause: streamError },
        );
      }
    }
  } catch (error) {
    // Refused or unanswered: the account still exists and the session stays as it was.
    if (!(error instanceof HushError)) client.reconnect.start();
    throw accountError(error, 'delete the account');
  } finally {
    client.removeListener('error', onError);
    client.removeListener('disconnect', onDisconnect);
  }
  await session.close();
}
