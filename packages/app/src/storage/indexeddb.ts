// Hush storage in the browser's IndexedDB: the web app's messages, outbox, account and OMEMO keys
// survive reloads. Behaves as core's memory and SQLite backends do: core's storage contract runs
// against it (indexeddb.test.ts, on fake-indexeddb).
//
// Schema rules (as core's sql-schema.ts): versions only add object stores and indexes; records
// keep unknown fields a newer version wrote (updates spread the stored record), so an older app
// still works on a newer database it can open.
//
// Each method runs in one transaction; awaiting an IDBRequest keeps the transaction alive (its
// promise settles in a microtask), awaiting anything else would let it commit early.
import { canTransition, copyFileDescription, failureAfter } from '@hush/core';
import type {
  AccountStore,
  AddResult,
  Conversation,
  HistoryQuery,
  MessageFailure,
  MessageState,
  MessageStore,
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  PendingUpload,
  Storage,
  StoredAccount,
  StoredMessage,
  UploadChanges,
  UploadStore,
} from '@hush/core';

export interface IndexedDbOptions {
  /** The database name; one per app installation (several accounts share it). */
  readonly name: string;
  /** Defaults to the browser's; tests pass fake-indexeddb's. */
  readonly factory?: IDBFactory;
  readonly keyRange?: typeof IDBKeyRange;
}

const SCHEMA_VERSION = 2;

// Store names.
const ACCOUNTS = 'accounts';
const MESSAGES = 'messages';
const OUTBOX = 'outbox';
const IDENTITIES = 'omemoIdentities';
const PREKEYS = 'omemoPreKeys';
const SIGNED_PREKEYS = 'omemoSignedPreKeys';
const SESSIONS = 'omemoSessions';
const DEVICES = 'omemoDevices';
const UPLOADS = 'uploads';

function upgrade(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore(ACCOUNTS, { keyPath: 'jid' });
    // seq (autoIncrement) is the order of storing, which breaks timestamp ties. A compound index
    // skips records lacking one of its fields, so messages without stanzaId or originId never
    // collide in the unique indexes, as NULLs do in SQLite's.
    const messages = db.createObjectStore(MESSAGES, { keyPath: 'seq', autoIncrement: true });
    messages.createIndex('byId', ['account', 'id'], { unique: true });
    messages.createIndex('byStanzaId', ['account', 'stanzaId'], { unique: true });
    messages.createIndex('byOriginId', ['account', 'peer', 'originId'], { unique: true });
    messages.createIndex('byConversation', ['account', 'peer', 'timestamp', 'seq']);
    messages.createIndex('byAccount', 'account');
    const outbox = db.createObjectStore(OUTBOX, { keyPath: 'seq', autoIncrement: true });
    outbox.createIndex('byId', ['account', 'id'], { unique: true });
    outbox.createIndex('byCreation', ['account', 'createdAt', 'seq']);
    db.createObjectStore(IDENTITIES, { keyPath: 'account' });
    db.createObjectStore(PREKEYS, { keyPath: ['account', 'keyId'] });
    db.createObjectStore(SIGNED_PREKEYS, { keyPath: ['account', 'keyId'] });
    db.createObjectStore(SESSIONS, { keyPath: ['account', 'jid', 'deviceId'] });
    db.createObjectStore(DEVICES, { keyPath: ['account', 'jid', 'deviceId'] });
  }
  if (oldVersion < 2) {
    // Encrypted files on their way out; seq keeps the order of putting, as in the outbox.
    const uploads = db.createObjectStore(UPLOADS, { keyPath: 'seq', autoIncrement: true });
    uploads.createIndex('byId', ['account', 'id'], { unique: true });
    uploads.createIndex('byCreation', ['account', 'createdAt', 'seq']);
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Arrays sort after every number and string in IndexedDB keys: the top of a compound range. */
const TOP: unknown[] = [];

type MessageRecord = StoredMessage & { readonly seq: number };
type OutboxRecord = OutboxEntry & { readonly seq: number };
type UploadRecord = PendingUpload & { readonly seq: number };
type Keyed<T> = T & { readonly account: string };

function copyMessage(m: StoredMessage, failure: MessageFailure | undefined = m.failure) {
  return {
    id: m.id,
    account: m.account,
    peer: m.peer,
    direction: m.direction,
    body: m.body,
    timestamp: m.timestamp,
    ...(m.originId !== undefined && { originId: m.originId }),
    ...(m.stanzaId !== undefined && { stanzaId: m.stanzaId }),
    state: m.state,
    ...(failure !== undefined && { failure: { code: failure.code, message: failure.message } }),
    encrypted: m.encrypted,
    ...(m.file !== undefined && { file: copyFileDescription(m.file) }),
  } satisfies StoredMessage;
}

// A file's description is one more field of the message or upload record: records written before
// it existed simply lack it, so it needed no new schema version.

function copyEntry(e: OutboxEntry): OutboxEntry {
  return {
    id: e.id,
    account: e.account,
    messageId: e.messageId,
    stanzaXml: e.stanzaXml,
    attempts: e.attempts,
    createdAt: e.createdAt,
  };
}

function copyAccount(a: StoredAccount): StoredAccount {
  return {
    jid: a.jid,
    service: a.service,
    ...(a.password !== undefined && { password: a.password }),
    resource: a.resource,
    ...(a.mamLastStanzaId !== undefined && { mamLastStanzaId: a.mamLastStanzaId }),
  };
}

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b);

function copyIdentity(i: OmemoIdentity): OmemoIdentity {
  return {
    deviceId: i.deviceId,
    registrationId: i.registrationId,
    publicKey: bytes(i.publicKey),
    privateKey: bytes(i.privateKey),
    createdAt: i.createdAt,
  };
}

function copyPreKey(k: OmemoPreKey): OmemoPreKey {
  return { keyId: k.keyId, publicKey: bytes(k.publicKey), privateKey: bytes(k.privateKey) };
}

function copySignedPreKey(k: OmemoSignedPreKey): OmemoSignedPreKey {
  return { ...copyPreKey(k), signature: bytes(k.signature), createdAt: k.createdAt };
}

function copyDevice(d: OmemoDevice): OmemoDevice {
  return {
    jid: d.jid,
    deviceId: d.deviceId,
    ...(d.identityKey !== undefined && { identityKey: bytes(d.identityKey) }),
    trust: d.trust,
    active: d.active,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
  };
}

/** Code-point order, as SQLite's BINARY collation (IndexedDB compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i))
      return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

const byConversationOrder = (a: MessageRecord, b: MessageRecord): number =>
  a.timestamp - b.timestamp || a.seq - b.seq;

class Database {
  readonly db: IDBDatabase;
  readonly keyRange: typeof IDBKeyRange;

  constructor(db: IDBDatabase, keyRange: typeof IDBKeyRange) {
    this.db = db;
    this.keyRange = keyRange;
  }

  /** Runs `work` in one transaction and resolves once it has committed. */
  async run<T>(
    stores: string | string[],
    mode: IDBTransactionMode,
    work: (tx: IDBTransaction) => Promise<T>,
  ): Promise<T> {
    const tx = this.db.transaction(stores, mode);
    const committed = done(tx);
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already finished
      }
      await committed.catch(() => undefined);
      throw error;
    }
    await committed;
    return result;
  }

  /**
   * Changes the record with this (account, id) in a store keyed by seq with a byId index; resolves
   * with false if there is none. `change` spreads the stored record, which keeps its seq (its place
   * in the order) and the fields a newer version added.
   */
  update<T extends { readonly seq: number }>(
    storeName: string,
    account: string,
    id: string,
    change: (record: T) => T,
  ): Promise<boolean> {
    return this.run(storeName, 'readwrite', async (tx) => {
      const store = tx.objectStore(storeName);
      const existing = await request<T | undefined>(store.index('byId').get([account, id]));
      if (!existing) return false;
      await request(store.put(change(existing)));
      return true;
    });
  }

  /** All records of an index range, in key order (or reverse). */
  async collect<T>(
    source: IDBIndex | IDBObjectStore,
    range: IDBKeyRange | null,
    direction: IDBCursorDirection = 'next',
    take?: (record: T) => 'take' | 'skip' | 'stop',
  ): Promise<T[]> {
    const out: T[] = [];
    const req = source.openCursor(range, direction);
    await new Promise<void>((resolve, reject) => {
      req.onerror = () => reject(req.error ?? new Error('IndexedDB cursor failed'));
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor) return resolve();
        const record = cursor.value as T;
        const verdict = take ? take(record) : 'take';
        if (verdict === 'stop') return resolve();
        if (verdict === 'take') out.push(record);
        cursor.continue();
      };
    });
    return out;
  }
}

class IdbMessageStore implements MessageStore {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  add(message: StoredMessage): Promise<AddResult> {
    return this.d.run(MESSAGES, 'readwrite', async (tx) => {
      const store = tx.objectStore(MESSAGES);
      const existing =
        (await request<MessageRecord | undefined>(
          store.index('byId').get([message.account, message.id]),
        )) ??
        (message.stanzaId === undefined
          ? undefined
          : await request<MessageRecord | undefined>(
              store.index('byStanzaId').get([message.account, message.stanzaId]),
            )) ??
        (message.originId === undefined
          ? undefined
          : await request<MessageRecord | undefined>(
              store.index('byOriginId').get([message.account, message.peer, message.originId]),
            ));
      if (existing) {
        let stored: StoredMessage = existing;
        if (existing.stanzaId === undefined && message.stanzaId !== undefined) {
          const taken = await request(
            store.index('byStanzaId').count([message.account, message.stanzaId]),
          );
          if (taken === 0) {
            stored = { ...existing, stanzaId: message.stanzaId };
            await request(store.put(stored));
          }
        }
        return { stored: copyMessage(stored), duplicate: true };
      }
      const record = copyMessage(message);
      await request(store.add(record));
      return { stored: copyMessage(record), duplicate: false };
    });
  }

  get(account: string, id: string): Promise<StoredMessage | undefined> {
    return this.d.run(MESSAGES, 'readonly', async (tx) => {
      const found = await request<MessageRecord | undefined>(
        tx.objectStore(MESSAGES).index('byId').get([account, id]),
      );
      return found && copyMessage(found);
    });
  }

  findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    return this.d.run(MESSAGES, 'readonly', async (tx) => {
      const found = await request<MessageRecord | undefined>(
        tx.objectStore(MESSAGES).index('byOriginId').get([account, peer, originId]),
      );
      return found && copyMessage(found);
    });
  }

  findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    return this.d.run(MESSAGES, 'readonly', async (tx) => {
      const found = await request<MessageRecord | undefined>(
        tx.objectStore(MESSAGES).index('byStanzaId').get([account, stanzaId]),
      );
      return found && copyMessage(found);
    });
  }

  updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    return this.d.run(MESSAGES, 'readwrite', async (tx) => {
      const store = tx.objectStore(MESSAGES);
      const found = await request<MessageRecord | undefined>(
        store.index('byId').get([account, id]),
      );
      if (!found || !canTransition(found.direction, found.state, state)) return false;
      const next: Record<string, unknown> = { ...found, state };
      const kept = failureAfter(found.state, found.failure, failure);
      if (kept) next.failure = { code: kept.code, message: kept.message };
      else delete next.failure;
      await request(store.put(next));
      return true;
    });
  }

  setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    return this.d.run(MESSAGES, 'readwrite', async (tx) => {
      const store = tx.objectStore(MESSAGES);
      const found = await request<MessageRecord | undefined>(
        store.index('byId').get([account, id]),
      );
      if (!found || found.stanzaId !== undefined) return false;
      if ((await request(store.index('byStanzaId').count([account, stanzaId]))) > 0) return false;
      await request(store.put({ ...found, stanzaId }));
      return true;
    });
  }

  history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit > 0)) return Promise.resolve([]);
    return this.d.run(MESSAGES, 'readonly', async (tx) => {
      const store = tx.objectStore(MESSAGES);
      const K = this.d.keyRange;
      let upper: unknown[] = [account, peer, TOP];
      let open = false;
      const cursor =
        query.beforeId === undefined
          ? undefined
          : await request<MessageRecord | undefined>(
              store.index('byId').get([account, query.beforeId]),
            );
      if (cursor && cursor.peer === peer) {
        upper = [account, peer, cursor.timestamp, cursor.seq];
        open = true;
      } else if (query.before !== undefined) {
        // [a, p, t] sorts before every [a, p, t, seq]: an open bound excludes timestamp t itself.
        upper = [account, peer, query.before];
        open = true;
      }
      const range = K.bound([account, peer], upper, false, open);
      let taken = 0;
      const page = await this.d.collect<MessageRecord>(
        store.index('byConversation'),
        range,
        'prev',
        () => (taken++ < limit ? 'take' : 'stop'),
      );
      return page.reverse().map((m) => copyMessage(m));
    });
  }

  conversations(account: string): Promise<Conversation[]> {
    return this.d.run(MESSAGES, 'readonly', async (tx) => {
      const byPeer = new Map<string, { last: MessageRecord; unread: number }>();
      const all = await this.d.collect<MessageRecord>(
        tx.objectStore(MESSAGES).index('byAccount'),
        this.d.keyRange.only(account),
      );
      for (const m of all) {
        const entry = byPeer.get(m.peer) ?? { last: m, unread: 0 };
        if (byConversationOrder(m, entry.last) > 0) entry.last = m;
        if (m.direction === 'in' && m.state !== 'read') entry.unread++;
        byPeer.set(m.peer, entry);
      }
      return [...byPeer.entries()]
        .sort(([, a], [, b]) => byConversationOrder(b.last, a.last))
        .map(([peer, { last, unread }]) => ({ peer, lastMessage: copyMessage(last), unread }));
    });
  }

  markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    return this.d.run(MESSAGES, 'readwrite', async (tx) => {
      const store = tx.objectStore(MESSAGES);
      const range = this.d.keyRange.bound([account, peer], [account, peer, upToTimestamp, TOP]);
      const due = await this.d.collect<MessageRecord>(
        store.index('byConversation'),
        range,
        'next',
        (m) => (m.direction === 'in' && canTransition('in', m.state, 'read') ? 'take' : 'skip'),
      );
      for (const m of due) await request(store.put({ ...m, state: 'read' }));
      return due.length;
    });
  }
}

class IdbOutboxStore implements OutboxStore {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  put(entry: OutboxEntry): Promise<void> {
    return this.d.run(OUTBOX, 'readwrite', async (tx) => {
      const store = tx.objectStore(OUTBOX);
      const existing = await request<OutboxRecord | undefined>(
        store.index('byId').get([entry.account, entry.id]),
      );
      // Replacing keeps seq, and with it the entry's place in the order.
      if (existing) await request(store.put({ ...existing, ...copyEntry(entry) }));
      else await request(store.add(copyEntry(entry)));
    });
  }

  remove(account: string, id: string): Promise<boolean> {
    return this.d.run(OUTBOX, 'readwrite', async (tx) => {
      const store = tx.objectStore(OUTBOX);
      const existing = await request<OutboxRecord | undefined>(
        store.index('byId').get([account, id]),
      );
      if (!existing) return false;
      await request(store.delete(existing.seq));
      return true;
    });
  }

  list(account: string): Promise<OutboxEntry[]> {
    return this.d.run(OUTBOX, 'readonly', async (tx) => {
      const range = this.d.keyRange.bound([account], [account, TOP]);
      const all = await this.d.collect<OutboxRecord>(
        tx.objectStore(OUTBOX).index('byCreation'),
        range,
      );
      return all.map(copyEntry);
    });
  }

  update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    return this.d.update<OutboxRecord>(OUTBOX, account, id, (existing) => ({
      ...existing,
      stanzaXml: changes.stanzaXml ?? existing.stanzaXml,
      attempts: changes.attempts ?? existing.attempts,
    }));
  }
}

class IdbAccountStore implements AccountStore {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  get(jid: string): Promise<StoredAccount | undefined> {
    return this.d.run(ACCOUNTS, 'readonly', async (tx) => {
      const found = await request<StoredAccount | undefined>(tx.objectStore(ACCOUNTS).get(jid));
      return found && copyAccount(found);
    });
  }

  list(): Promise<StoredAccount[]> {
    return this.d.run(ACCOUNTS, 'readonly', async (tx) => {
      const all = await request<StoredAccount[]>(tx.objectStore(ACCOUNTS).getAll());
      return all.sort((a, b) => byCodePoint(a.jid, b.jid)).map(copyAccount);
    });
  }

  put(account: StoredAccount): Promise<void> {
    return this.d.run(ACCOUNTS, 'readwrite', async (tx) => {
      await request(tx.objectStore(ACCOUNTS).put(copyAccount(account)));
    });
  }

  remove(jid: string): Promise<boolean> {
    return this.d.run(ACCOUNTS, 'readwrite', async (tx) => {
      const store = tx.objectStore(ACCOUNTS);
      if ((await request(store.count(jid))) === 0) return false;
      await request(store.delete(jid));
      return true;
    });
  }
}

class IdbOmemoStore implements OmemoStore {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  private getOne<T>(storeName: string, key: IDBValidKey): Promise<T | undefined> {
    return this.d.run(storeName, 'readonly', (tx) =>
      request<T | undefined>(tx.objectStore(storeName).get(key)),
    );
  }

  private putOne(storeName: string, value: object): Promise<void> {
    return this.d.run(storeName, 'readwrite', async (tx) => {
      await request(tx.objectStore(storeName).put(value));
    });
  }

  private removeOne(storeName: string, key: IDBValidKey): Promise<boolean> {
    return this.d.run(storeName, 'readwrite', async (tx) => {
      const store = tx.objectStore(storeName);
      if ((await request(store.count(key))) === 0) return false;
      await request(store.delete(key));
      return true;
    });
  }

  private listOf<T>(storeName: string, lower: unknown[]): Promise<T[]> {
    return this.d.run(storeName, 'readonly', (tx) =>
      this.d.collect<T>(tx.objectStore(storeName), this.d.keyRange.bound(lower, [...lower, TOP])),
    );
  }

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const found = await this.getOne<OmemoIdentity>(IDENTITIES, account);
    return found && copyIdentity(found);
  }

  putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    return this.putOne(IDENTITIES, { account, ...copyIdentity(identity) });
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const found = await this.getOne<OmemoPreKey>(PREKEYS, [account, keyId]);
    return found && copyPreKey(found);
  }

  putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    return this.d.run(PREKEYS, 'readwrite', async (tx) => {
      const store = tx.objectStore(PREKEYS);
      for (const preKey of preKeys) await request(store.put({ account, ...copyPreKey(preKey) }));
    });
  }

  removePreKey(account: string, keyId: number): Promise<boolean> {
    return this.removeOne(PREKEYS, [account, keyId]);
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    return (await this.listOf<Keyed<OmemoPreKey>>(PREKEYS, [account])).map(copyPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const found = await this.getOne<OmemoSignedPreKey>(SIGNED_PREKEYS, [account, keyId]);
    return found && copySignedPreKey(found);
  }

  putSignedPreKey(account: string, signedPreKey: OmemoSignedPreKey): Promise<void> {
    return this.putOne(SIGNED_PREKEYS, { account, ...copySignedPreKey(signedPreKey) });
  }

  removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return this.removeOne(SIGNED_PREKEYS, [account, keyId]);
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    return (await this.listOf<Keyed<OmemoSignedPreKey>>(SIGNED_PREKEYS, [account]))
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId - b.keyId)
      .map(copySignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    const found = await this.getOne<{ record: string }>(SESSIONS, [account, jid, deviceId]);
    return found?.record;
  }

  putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    return this.putOne(SESSIONS, { account, jid, deviceId, record });
  }

  removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return this.removeOne(SESSIONS, [account, jid, deviceId]);
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const found = await this.getOne<OmemoDevice>(DEVICES, [account, jid, deviceId]);
    return found && copyDevice(found);
  }

  putDevice(account: string, device: OmemoDevice): Promise<void> {
    return this.putOne(DEVICES, { account, ...copyDevice(device) });
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    const lower = jid === undefined ? [account] : [account, jid];
    return (await this.listOf<Keyed<OmemoDevice>>(DEVICES, lower))
      .sort((a, b) => byCodePoint(a.jid, b.jid) || a.deviceId - b.deviceId)
      .map(copyDevice);
  }
}

function copyUpload(u: PendingUpload): PendingUpload {
  return {
    id: u.id,
    account: u.account,
    peer: u.peer,
    ciphertext: bytes(u.ciphertext),
    key: bytes(u.key),
    iv: bytes(u.iv),
    createdAt: u.createdAt,
    attempts: u.attempts,
    ...(u.url !== undefined && { url: u.url }),
    ...(u.file !== undefined && { file: copyFileDescription(u.file) }),
  };
}

class IdbUploadStore implements UploadStore {
  private readonly d: Database;

  constructor(d: Database) {
    this.d = d;
  }

  put(upload: PendingUpload): Promise<void> {
    return this.d.run(UPLOADS, 'readwrite', async (tx) => {
      const store = tx.objectStore(UPLOADS);
      const existing = await request<UploadRecord | undefined>(
        store.index('byId').get([upload.account, upload.id]),
      );
      // Replacing keeps seq, and with it the upload's place in the order.
      if (existing) await request(store.put({ ...copyUpload(upload), seq: existing.seq }));
      else await request(store.add(copyUpload(upload)));
    });
  }

  get(account: string, id: string): Promise<PendingUpload | undefined> {
    return this.d.run(UPLOADS, 'readonly', async (tx) => {
      const found = await request<UploadRecord | undefined>(
        tx.objectStore(UPLOADS).index('byId').get([account, id]),
      );
      return found && copyUpload(found);
    });
  }

  update(account: string, id: string, changes: UploadChanges): Promise<boolean> {
    // IndexedDB has no partial update: the record, ciphertext included, is read and written again
    // inside the transaction. What this saves is the caller handing the ciphertext over.
    return this.d.update<UploadRecord>(UPLOADS, account, id, (existing) => ({
      ...existing,
      attempts: changes.attempts ?? existing.attempts,
      ...(changes.url !== undefined && { url: changes.url }),
    }));
  }

  remove(account: string, id: string): Promise<boolean> {
    return this.d.run(UPLOADS, 'readwrite', async (tx) => {
      const store = tx.objectStore(UPLOADS);
      const found = await request<UploadRecord | undefined>(store.index('byId').get([account, id]));
      if (!found) return false;
      await request(store.delete(found.seq));
      return true;
    });
  }

  list(account: string): Promise<PendingUpload[]> {
    return this.d.run(UPLOADS, 'readonly', async (tx) => {
      const range = this.d.keyRange.bound([account], [account, TOP]);
      const all = await this.d.collect<UploadRecord>(
        tx.objectStore(UPLOADS).index('byCreation'),
        range,
      );
      return all.map(copyUpload);
    });
  }
}

/** Opens (creating or upgrading) the app's IndexedDB database. */
export async function openIndexedDbStorage(options: IndexedDbOptions): Promise<Storage> {
  const factory = options.factory ?? globalThis.indexedDB;
  const keyRange = options.keyRange ?? globalThis.IDBKeyRange;
  if (!factory || !keyRange) throw new Error('This browser has no IndexedDB.');
  const open = factory.open(options.name, SCHEMA_VERSION);
  open.onupgradeneeded = (event) => upgrade(open.result, event.oldVersion);
  const db = await request(open);
  // Another tab upgrading the schema asks this one to let go; the next reload opens the new one.
  db.onversionchange = () => db.close();
  const d = new Database(db, keyRange);
  return {
    accounts: new IdbAccountStore(d),
    messages: new IdbMessageStore(d),
    outbox: new IdbOutboxStore(d),
    omemo: new IdbOmemoStore(d),
    uploads: new IdbUploadStore(d),
    close: async () => db.close(),
  };
}

/** Deletes the whole database (after an account is deleted, nothing of it stays on the device). */
export function deleteIndexedDbStorage(
  name: string,
  factory = globalThis.indexedDB,
): Promise<void> {
  return request(factory.deleteDatabase(name)).then(() => undefined);
}
