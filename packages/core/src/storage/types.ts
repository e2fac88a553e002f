// What core keeps between runs: accounts, messages and the outbox. Core only sees these interfaces;
// a memory implementation lives beside them (memory.ts), and so does the SQLite one (sql.ts), to
// which each platform brings its SQLite connection (node:sqlite in @hush/storage-node, expo-sqlite in
// the app); the web app keeps IndexedDB. Every method returns a Promise so an asynchronous backend
// (IndexedDB, expo-sqlite) fits the same interface.
//
// All records are keyed by the owning account's bare JID: one storage can hold several accounts.
// Results are copies; changing a returned object never changes what is stored.

export type MessageDirection = 'in' | 'out';

/**
 * Outgoing messages move pending → sent (the server acked it) → delivered (XEP-0184 receipt) →
 * read (XEP-0333 marker), or to failed and, on retry, back to pending. Incoming messages are
 * received (or undecryptable) and then read. See state.ts for the exact rules.
 */
export type MessageState =
  'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received' | 'undecryptable';

/** Why a message failed to send or could not be decrypted; `code` is a HushErrorCode-like string. */
export interface MessageFailure {
  readonly code: string;
  readonly message: string;
}

/**
 * What a file message says of its file (XEP-0447/0446: the sender's description, sent inside the
 * encryption), as kept with the message and with a file waiting to be sent. Where and how to fetch
 * the file is the body's aesgcm:// link; this is what a label shows ("notes.txt", "Voice message
 * 0:12") and what a download is checked against. It is as private as the body: stored on the
 * device, sent only encrypted.
 */
export interface FileDescription {
  /** The name the sender gave it, without any directory part. */
  readonly name: string;
  /** Lower-case type/subtype, e.g. audio/mp4. */
  readonly mediaType: string;
  /** Plaintext bytes. */
  readonly size: number;
  /** SHA-256 of the plaintext (32 bytes). */
  readonly sha256: Uint8Array;
  /** Voice and video: the length in milliseconds. */
  readonly durationMs?: number;
}

export interface StoredMessage {
  /** Local id (a UUID the client makes); unique per account. */
  readonly id: string;
  /** Bare JID of the account that owns this copy. */
  readonly account: string;
  /** Bare JID of the other side. */
  readonly peer: string;
  readonly direction: MessageDirection;
  readonly body: string;
  /** Milliseconds since the epoch: when it was sent (XEP-0203 delay) or, lacking that, received. */
  readonly timestamp: number;
  /** XEP-0359 origin-id chosen by the sender; the same on every copy of the message. */
  readonly originId?: string;
  /** XEP-0359 stanza-id assigned by the account's own archive (by = account's bare JID). */
  readonly stanzaId?: string;
  readonly state: MessageState;
  readonly failure?: MessageFailure;
  /** Whether it travelled OMEMO-encrypted. */
  readonly encrypted: boolean;
  /**
   * A file message's description: sent with it, or received with it (only encryption that carries
   * more than a body does, OMEMO 2). Absent for text and for files that came without one.
   */
  readonly file?: FileDescription;
}

export interface AddResult {
  /** The stored message: the new one, or the copy that was already there. */
  readonly stored: StoredMessage;
  readonly duplicate: boolean;
}

export interface HistoryQuery {
  /** Page size: at most this many messages. */
  readonly limit: number;
  /** Only messages older than this timestamp (exclusive). Omit both for the newest page. */
  readonly before?: number;
  /**
   * Only messages before this one (the oldest message of the previous page) in conversation order;
   * takes precedence over `before` when it names a message of this conversation. Unlike a timestamp
   * it never skips messages that share one: XEP-0203 delay stamps often have one-second resolution,
   * so a catch-up burst does.
   */
  readonly beforeId?: string;
}

export interface Conversation {
  readonly peer: string;
  readonly lastMessage: StoredMessage;
  /** Incoming messages not yet 'read'. */
  readonly unread: number;
}

/**
 * Messages ordered by (timestamp, order of storing): messages with equal timestamps keep the order
 * they arrived in.
 */
export interface MessageStore {
  /**
   * Stores a message unless it is a copy of one already stored: same (account, id), same
   * (account, stanzaId) or same (account, peer, originId). A copy is how the same message comes back
   * as a carbon, from MAM catch-up and live; receivers add every copy and let this decide. When the
   * copy brings a stanzaId the stored message lacks (our own sent message, echoed by the archive),
   * the stored message takes it, so later copies match by stanzaId too.
   */
  add(message: StoredMessage): Promise<AddResult>;
  get(account: string, id: string): Promise<StoredMessage | undefined>;
  findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined>;
  findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined>;
  /**
   * Moves a message to `state` if the rules in state.ts allow it (states never go backwards, so a
   * late ack cannot undo a read marker); returns whether anything changed. Refused transitions,
   * unknown ids and states of the wrong direction return false rather than throw: receipts and
   * markers come from the network. `failure` replaces the stored failure; leaving 'failed' clears it.
   */
  updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean>;
  /**
   * Records the archive's stanza-id for a message. A stanza-id never changes once known and belongs
   * to one message: returns false (and changes nothing) if the message has another one already or
   * another message has this one.
   */
  setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean>;
  /** One page of a conversation, oldest first (newest last), as a chat view shows it. */
  history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]>;
  /** Every peer the account has messages with, most recent conversation first. */
  conversations(account: string): Promise<Conversation[]>;
  /** Marks incoming messages up to and including `upToTimestamp` read; returns how many changed. */
  markRead(account: string, peer: string, upToTimestamp: number): Promise<number>;
}

/** A stanza waiting for the server's stream-management ack; removed only when acked. */
export interface OutboxEntry {
  readonly id: string;
  readonly account: string;
  /** The StoredMessage this stanza carries. */
  readonly messageId: string;
  /** The exact stanza to resend (already encrypted): a resend must not re-encrypt or change ids. */
  readonly stanzaXml: string;
  readonly attempts: number;
  readonly createdAt: number;
}

export type OutboxChanges = Partial<Pick<OutboxEntry, 'stanzaXml' | 'attempts'>>;

export interface OutboxStore {
  /** Inserts, or replaces the entry with the same (account, id) keeping its place in the order. */
  put(entry: OutboxEntry): Promise<void>;
  /** Returns whether there was such an entry. */
  remove(account: string, id: string): Promise<boolean>;
  /** The account's entries in creation order (createdAt, then order of putting). */
  list(account: string): Promise<OutboxEntry[]>;
  /**
   * Changes an existing entry; returns false if it is gone. Unlike put it never recreates an entry,
   * so a retry timer updating attempts cannot resurrect a stanza the server has just acked.
   */
  update(account: string, id: string, changes: OutboxChanges): Promise<boolean>;
}

export interface StoredAccount {
  /** Bare JID. */
  readonly jid: string;
  /** Where to connect: wss://…, xmpps://… or xmpp://… (see SessionOptions.service). */
  readonly service: string;
  /**
   * The login credential, where the platform keeps it with the account. Platforms with a keystore
   * leave it out here: the app keeps it in the platform keystore (expo-secure-store); the CLI keeps
   * its storage, password included, in a file only the user can read (mode 0600).
   */
  readonly password?: string;
  readonly resource: string;
  /**
   * XEP-0313: the stanza-id of the last archived message seen; MAM catch-up resumes after it. '' once
   * a catch-up found the archive empty; absent before the device's first catch-up.
   */
  readonly mamLastStanzaId?: string;
}

export interface AccountStore {
  get(jid: string): Promise<StoredAccount | undefined>;
  /** All accounts, ordered by JID. */
  list(): Promise<StoredAccount[]>;
  /** Inserts or replaces the account with this JID. */
  put(account: StoredAccount): Promise<void>;
  /** Removes the account record only (its messages and outbox stay); returns whether it existed. */
  remove(jid: string): Promise<boolean>;
}

export interface Storage {
  readonly accounts: AccountStore;
  readonly messages: MessageStore;
  readonly outbox: OutboxStore;
  /** OMEMO keys, sessions and trust decisions of this device. */
  readonly omemo: OmemoStore;
  /** Encrypted files waiting to be uploaded and sent. */
  readonly uploads: UploadStore;
  /** Releases the backend; the storage must not be used afterwards. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// OMEMO keys. Everything here stays on the device: the private parts are never sent anywhere.
// Byte fields are Uint8Array copies; every record is keyed by the owning account's bare JID.

/** This device's long-term OMEMO identity for one account. */
export interface OmemoIdentity {
  /** The OMEMO device id (1 .. 2^31-1), published in the device list. */
  readonly deviceId: number;
  /** The Signal registration id (1 .. 16380). */
  readonly registrationId: number;
  /** Curve25519 identity key pair; publicKey is 33 bytes (0x05 prefix), privateKey 32 bytes. */
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly createdAt: number;
}

export interface OmemoPreKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface OmemoSignedPreKey extends OmemoPreKey {
  readonly signature: Uint8Array;
  readonly createdAt: number;
}

/**
 * How far this device trusts another device's identity key:
 * - 'blind': accepted on first use, not verified (the default, as in Conversations);
 * - 'verified': the person compared fingerprints (QR code or by hand);
 * - 'untrusted': the device's identity key changed since it was accepted; nothing is encrypted for
 *   it until the person decides (trust or distrust);
 * - 'distrusted': the person refused this key.
 */
export type OmemoTrust = 'blind' | 'verified' | 'untrusted' | 'distrusted';

/** Another device (of a contact, or of this account) as this device knows it. */
export interface OmemoDevice {
  /** Bare JID of the device's owner. */
  readonly jid: string;
  readonly deviceId: number;
  /** The identity key the trust decision is about (33 bytes), once known from a bundle or message. */
  readonly identityKey?: Uint8Array;
  readonly trust: OmemoTrust;
  /** Whether the device is in its owner's current published device list. */
  readonly active: boolean;
  readonly firstSeen: number;
  /** Last time a message from it decrypted, or it was (re)listed; stale devices stop getting keys. */
  readonly lastSeen: number;
}

export interface OmemoStore {
  getIdentity(account: string): Promise<OmemoIdentity | undefined>;
  /** Inserts or replaces. */
  putIdentity(account: string, identity: OmemoIdentity): Promise<void>;

  getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined>;
  /** Inserts or replaces each. */
  putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void>;
  /** Returns whether there was such a key. */
  removePreKey(account: string, keyId: number): Promise<boolean>;
  /** All one-time prekeys, ordered by keyId. */
  listPreKeys(account: string): Promise<OmemoPreKey[]>;

  getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined>;
  /** Inserts or replaces. */
  putSignedPreKey(account: string, signedPreKey: OmemoSignedPreKey): Promise<void>;
  removeSignedPreKey(account: string, keyId: number): Promise<boolean>;
  /** All signed prekeys, ordered by createdAt then keyId (the newest last). */
  listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]>;

  /** The serialized Signal session record with one remote device. */
  getSession(account: string, jid: string, deviceId: number): Promise<string | undefined>;
  /** Inserts or replaces. */
  putSession(account: string, jid: string, deviceId: number, record: string): Promise<void>;
  removeSession(account: string, jid: string, deviceId: number): Promise<boolean>;

  getDevice(account: string, jid: string, deviceId: number): Promise<OmemoDevice | undefined>;
  /** Inserts or replaces the device with this (jid, deviceId). */
  putDevice(account: string, device: OmemoDevice): Promise<void>;
  /** The account's known devices of `jid` (or of everyone), ordered by jid then deviceId. */
  listDevices(account: string, jid?: string): Promise<OmemoDevice[]>;
}

// ---------------------------------------------------------------------------------------------
// Files on their way out: kept (already encrypted) until the upload and the message carrying its
// link are done, so a cut connection or a restart never loses a file someone sent.

export interface PendingUpload {
  /** The id the message carrying the link will have (a UUID). */
  readonly id: string;
  readonly account: string;
  /** Bare JID of the recipient. */
  readonly peer: string;
  /** The XEP-0454 ciphertext (file plus 16-byte GCM tag). */
  readonly ciphertext: Uint8Array;
  /** AES-256-GCM key (32 bytes) and IV (12 bytes). They never leave the device except inside OMEMO. */
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly createdAt: number;
  /** Upload attempts so far. */
  readonly attempts: number;
  /** The https:// URL once the upload succeeded but the message was not yet queued. */
  readonly url?: string;
  /** What the message will say of the file; kept so a file sent after a restart still says it. */
  readonly file?: FileDescription;
}

/** What changes between upload attempts: their count and, once one succeeded, the URL. */
export type UploadChanges = Partial<Pick<PendingUpload, 'attempts' | 'url'>>;

export interface UploadStore {
  /** Inserts, or replaces the upload with this (account, id) keeping its place in the order. */
  put(upload: PendingUpload): Promise<void>;
  get(account: string, id: string): Promise<PendingUpload | undefined>;
  /**
   * Changes an existing upload; returns false if it is gone. The ciphertext (up to the server's
   * limit, MBs) is neither passed nor copied again for a count. Like OutboxStore.update it never
   * recreates an upload, so a late attempt cannot bring back one that was sent or dropped.
   */
  update(account: string, id: string, changes: UploadChanges): Promise<boolean>;
  /** Returns whether there was such an upload. */
  remove(account: string, id: string): Promise<boolean>;
  /** The account's pending uploads, oldest first (createdAt, then order of putting). */
  list(account: string): Promise<PendingUpload[]>;
}
