// Storage: the interfaces core persists through, the state rules every backend shares, and the
// in-memory backend. The SQLite backend (sql.ts) has its own entry point, @hush/core/storage/sql, so
// a platform without SQLite (the web app) does not bundle it; platforms bring its driver.
export { createMemoryStorage } from './memory.ts';
export {
  byCodePoint,
  conversationsOf,
  copyAccount,
  copyBytes,
  copyDevice,
  copyFileDescription,
  copyIdentity,
  copyMessage,
  copyOutboxEntry,
  copyPreKey,
  copySignedPreKey,
  copyUpload,
} from './records.ts';
export { canTransition, failureAfter, statesFor } from './state.ts';
export type {
  AccountStore,
  AddResult,
  Conversation,
  FileDescription,
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
  UploadChanges,
  UploadStore,
  Storage,
  StoredAccount,
  StoredMessage,
} from './types.ts';
