// System notifications for incoming messages while the app is not in front (a hidden tab, another
// window). One notification per chat (its tag): a burst, or a catch-up after being away, replaces
// rather than piles up. Nothing is shown for what was already read on another device, for messages
// that could not be decrypted (there is nothing to say) or for old history.
import type { Messenger, StoredMessage } from '@hush/core';
import type { Notifications } from '../platform/types.ts';
import { describeBody } from '../ui/message-kind.ts';
import { currentWords } from '../i18n/current.ts';

/** Older messages (a first catch-up, history) are not news. */
export const NOTIFY_WITHIN_MS = 24 * 60 * 60 * 1000;
const PREVIEW = 140;

export interface NotifierOptions {
  readonly notifications: Notifications;
  /** The app is in front of the person: the chat list and conversation show what arrives. */
  readonly inFront: () => boolean;
  /** A contact's name, where one was given. */
  readonly nameOf?: (peer: string) => string | undefined;
  readonly onOpen: (peer: string) => void;
  readonly now?: () => number;
}

/** The notification for `message`, or undefined when it should not notify. */
export function noteFor(
  message: StoredMessage,
  now: number,
  nameOf: (peer: string) => string | undefined = () => undefined,
): { title: string; body: string; tag: string } | undefined {
  if (message.direction !== 'in') return undefined;
  if (message.state === 'read' || message.state === 'undecryptable') return undefined;
  if (now - message.timestamp > NOTIFY_WITHIN_MS) return undefined;
  // A file is named in the app's language ("Voice message", "Голосовое сообщение").
  const body = describeBody(message.body, currentWords().file, message.file);
  const text = body.kind === 'text' ? message.body.trim() : body.preview;
  return {
    title: nameOf(message.peer) ?? message.peer,
    body: text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text,
    tag: `hush-chat-${message.peer}`,
  };
}

/** Follows the Messenger; returns the function that stops it. */
export function notifyIncoming(messenger: Messenger, options: NotifierOptions): () => void {
  const now = options.now ?? Date.now;
  return messenger.subscribe((event) => {
    if (event.type !== 'message' || options.inFront()) return;
    if (options.notifications.access() !== 'granted') return;
    const note = noteFor(event.message, now(), options.nameOf);
    if (note)
      options.notifications.show({ ...note, onOpen: () => options.onOpen(event.message.peer) });
  });
}
