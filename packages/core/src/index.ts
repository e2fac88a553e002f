export {
  FileTooLargeError,
  HushError,
  isHushError,
  OmemoDeviceError,
  QuotaExceededError,
  VoiceTooLongError,
} from './errors.ts';
export type { HushErrorCode } from './errors.ts';
export {
  openSessionAt,
  resolveEndpoints,
  orderByPriorityAndWeight,
  platformSrvResolver,
  type ResolveSrv,
  type SrvRecord,
} from './xmpp/endpoints.ts';
export { openSession, splitJid, toHushError } from './xmpp/session.ts';
export type { SessionOptions, XmppSession } from './xmpp/session.ts';
export {
  ScramClient,
  ScramError,
  makeClientNonce,
  saslPrep,
  SCRAM_MECHANISMS,
  MIN_ITERATIONS,
  MAX_ITERATIONS,
} from './xmpp/scram.ts';
export { scramSasl } from './xmpp/scram-sasl.ts';
export type {
  ScramFailure,
  ScramMechanismName,
  ScramClientOptions,
  ScramKeys,
  ChannelBinding,
  RandomBytes,
} from './xmpp/scram.ts';
export type { ScramSasl, ScramSaslOptions } from './xmpp/scram-sasl.ts';
export { parseInvite } from './account/invite.ts';
export type { Invite } from './account/invite.ts';
export { registerAccount, registerOnStream, NS_REGISTER, NS_PREAUTH } from './account/register.ts';
export type { RegisterOptions } from './account/register.ts';
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
  createMemoryStorage,
  canTransition,
  failureAfter,
  statesFor,
} from './storage/index.ts';
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
} from './storage/index.ts';
export { Messenger, writeForLater, AWAITING_ENCRYPTION } from './chat/messenger.ts';
export type {
  MessengerDeps,
  MessengerEvent,
  MessengerSnapshot,
  MessengerStatus,
} from './chat/messenger.ts';
export { parseIncoming, bareJid } from './chat/parse.ts';
export { buildChatMessage, buildReceipt, buildDisplayed, buildChatState } from './chat/build.ts';
export { catchUpArchive, fetchArchivePage } from './chat/archive.ts';
export type { ArchivePage } from './chat/archive.ts';
export type {
  ChatState,
  DecryptResult,
  EncryptionHook,
  MessageSource,
  ParsedChatMessage,
  ParsedIncoming,
} from './chat/types.ts';
export { changePassword, deleteAccount } from './account/manage.ts';
export { openSavedSession, keepSavedLogin } from './account/stored-login.ts';
export type { LoginVault, SavedSessionOptions } from './account/stored-login.ts';
export {
  encodeSavedLogin,
  decodeSavedLogin,
  newClientId,
  fastTokenUsable,
} from './xmpp/saved-login.ts';
export type { SavedLogin, FastToken } from './xmpp/saved-login.ts';
export { sqlLoginVault } from './storage/sql-accounts.ts';
export {
  Contacts,
  parseRosterItem,
  NS_ROSTER,
  NS_BLOCKING,
  NS_PRE_APPROVAL,
  SpamReports,
  NS_REPORTING,
  REPORT_REASONS,
  MAX_REPORT_TEXT,
  MAX_REPORTED_MESSAGES,
} from './contacts/index.ts';
export type {
  ReportReason,
  SpamReport,
  Contact,
  ContactsDeps,
  PresenceChange,
  Subscription,
  SubscriptionRequest,
} from './contacts/index.ts';
export { installNobleCrypto, OmemoCryptoError } from './omemo/crypto-provider.ts';
export { installNativeX25519 } from './omemo/native-x25519.ts';
export type { NativeX25519 } from './omemo/native-x25519.ts';
export { createCurveBackend } from './omemo/webcrypto-curve.ts';
export type { CurveBackend } from './omemo/webcrypto-curve.ts';
export type { NobleCryptoOptions, OmemoCryptoFailure } from './omemo/crypto-provider.ts';
export {
  NS_OMEMO_LEGACY,
  DEVICE_LIST_NODE,
  bundleNode,
  buildBundle,
  buildDeviceList,
  parseBundle,
  parseDeviceList,
  readBundle,
  parseKeyId,
  isKeyId,
  MAX_KEY_ID,
} from './omemo/bundle.ts';
export type { OmemoBundle, BundleReading } from './omemo/bundle.ts';
export { OmemoKeysForContactsOnly } from './omemo/device-lists.ts';
export * as omemo2 from './omemo2/index.ts';
export {
  publishDeviceList,
  fetchDeviceList,
  publishBundle,
  fetchBundle,
  onDeviceListUpdate,
  OmemoPepError,
} from './omemo/pep.ts';
export type { DeviceListUpdate, OmemoPepFailure } from './omemo/pep.ts';
export { Omemo } from './omemo/omemo.ts';
export type { OmemoDeviceInfo, OmemoEvent, OmemoOptions } from './omemo/omemo.ts';
export { DEFAULT_KEY_POLICY } from './omemo/keys.ts';
export type { KeyPolicy } from './omemo/keys.ts';
export {
  fingerprintOf,
  formatFingerprint,
  normalizeFingerprint,
  formatVerificationUri,
  parseVerificationUri,
} from './omemo/trust.ts';
export type { VerificationUri } from './omemo/trust.ts';
export { advertiseCapabilities, capsHash, NS_CAPS, NS_DISCO_INFO } from './xmpp/caps.ts';
export type { ClientIdentity } from './xmpp/caps.ts';
export { startClient } from './client.ts';
export type { HushClient, StartClientOptions, StartPhase } from './client.ts';
export * from './media/index.ts';
export * from './voice/index.ts';
export { FileSender } from './media/file-sender.ts';
export type { FileSenderDeps, SendFileOptions } from './media/file-sender.ts';
export * from './push/index.ts';
