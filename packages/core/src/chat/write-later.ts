// An outgoing message as it is stored before anything is sent: the message, pending, and its outbox
// entry. writeForLater stores both with no connection at all; the Messenger (sendText, the outbox
// sender) builds the same records.
import type { FileDescription, OutboxEntry, Storage, StoredMessage } from '../storage/types.ts';
import { descriptionOf } from '../media/file-sharing.ts';
import { bareJid } from './parse.ts';

/**
 * The stanzaXml of an outbox entry whose message was written while offline. Encryption needs the
 * peer's current devices and keys from the server, so the stanza is built, stored in the entry and
 * sent once a stream is up; until then the entry keeps the message pending and counted.
 */
export const AWAITING_ENCRYPTION = '';

/** What an outgoing message is made of, before it is stored. */
export interface OutgoingText {
  readonly account: string;
  readonly peer: string;
  readonly body: string;
  readonly id: string;
  readonly timestamp: number;
  readonly file?: FileDescription;
}

/** An outgoing message as stored before it is sent: pending, its id also its origin-id. */
export function pendingMessage(message: OutgoingText, encrypted: boolean): StoredMessage {
  return {
    id: message.id,
    account: bareJid(message.account),
    peer: bareJid(message.peer),
    direction: 'out',
    body: message.body,
    timestamp: message.timestamp,
    originId: message.id,
    state: 'pending',
    encrypted,
    ...(message.file ? { file: descriptionOf(message.file) } : {}),
  };
}

/**
 * The outbox entry of message `id`: its stanza, or AWAITING_ENCRYPTION for one not built yet (not
 * sent, so no attempt counted).
 */
export function outboxEntry(
  account: string,
  id: string,
  stanzaXml: string,
  createdAt: number,
): OutboxEntry {
  return {
    id,
    account,
    messageId: id,
    stanzaXml,
    attempts: stanzaXml === AWAITING_ENCRYPTION ? 0 : 1,
    createdAt,
  };
}

/**
 * Stores an outgoing text message and queues it for encryption, with no connection at all (an app
 * started offline, before it has a Messenger): the account's next Messenger sends it, a file's
 * link with its description (`file`) beside it.
 */
export async function writeForLater(
  storage: Storage,
  message: OutgoingText,
  encrypted = true,
): Promise<StoredMessage> {
  const stored = pendingMessage(message, encrypted);
  await storage.messages.add(stored);
  await storage.outbox.put(
    outboxEntry(stored.account, stored.id, AWAITING_ENCRYPTION, stored.timestamp),
  );
  return stored;
}
