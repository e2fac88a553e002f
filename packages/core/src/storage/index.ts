// Storage: the interfaces core persists through, the state rules every backend shares, and the
// in-memory backend. Persistent backends live in platform packages (@hush/storage-node).
export { createMemoryStorage } from './memory.ts';
export { canTransition, failureAfter, statesFor } from './state.ts';
export type {
  AccountStore,
  AddResult,
  Conversation,
  HistoryQuery,
  MessageDirection,
  MessageFailure,
  MessageState,
  MessageStore,
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
  OmemoTrust,
  PendingUpload,
  UploadStore,
  Storage,
  StoredAccount,
  StoredMessage,
} from './types.ts';
