// What a Messenger tells its subscribers, and the snapshot a UI reads (subscribe/getSnapshot).
import type { HushError } from '../errors.ts';
import type { StoredMessage } from '../storage/types.ts';
import type { SharedFile } from '../media/file-sharing.ts';
import type { ChatState } from './types.ts';

export type MessengerStatus = 'idle' | 'syncing' | 'ready' | 'closed';

export type MessengerEvent =
  /** `file`: what a received file message's encrypted <file-sharing/> says (name, type, size). */
  | { readonly type: 'message'; readonly message: StoredMessage; readonly file?: SharedFile }
  | { readonly type: 'state'; readonly message: StoredMessage }
  /** XEP-0085: the peer is typing ('composing'), stopped ('paused'), or is here or gone. */
  | { readonly type: 'chat-state'; readonly peer: string; readonly state: ChatState }
  /** The peer's messages were read up to `upTo` (here, or on another device of the account). */
  | { readonly type: 'read'; readonly peer: string; readonly upTo: number }
  | { readonly type: 'status'; readonly status: MessengerStatus }
  /** The number of messages waiting in the outbox changed (getSnapshot().pending). */
  | { readonly type: 'pending'; readonly pending: number }
  | { readonly type: 'error'; readonly error: HushError };

export interface MessengerSnapshot {
  readonly status: MessengerStatus;
  /** Messages waiting in the outbox for the server's ack. */
  readonly pending: number;
}

/** Moves a message to `state` (and tells subscribers) where the state rules allow it. */
export type SetMessageState = (
  id: string,
  state: StoredMessage['state'],
  failure?: { code: string; message: string },
) => Promise<void>;
