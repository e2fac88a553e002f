// The web app's IndexedDB database: its object stores, indexes and records, how each version
// creates them, and the one way its stores run a transaction. On idb (Jake Archibald's promise
// wrapper of IndexedDB): the schema below types every store, index and key the stores use.
//
// Schema rules (as core's sql-schema.ts): versions only add object stores and indexes; records
// keep unknown fields a newer version wrote (updates spread the stored record), so an older app
// still works on a newer database it can open.
import {
  wrap,
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  type IndexKey,
  type StoreValue,
  type StoreKey,
  type StoreNames,
} from 'idb';
import type {
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OutboxEntry,
  PendingUpload,
  StoredAccount,
  StoredMessage,
} from '@hush/core';

const SCHEMA_VERSION = 2;

/** seq (autoIncrement) is the order of storing: the key generator writes it into the record. */
type Numbered<T> = T & { readonly seq: number };
export type MessageRecord = Numbered<StoredMessage>;
export type OutboxRecord = Numbered<OutboxEntry>;
export type UploadRecord = Numbered<PendingUpload>;
/** OMEMO records carry the account they belong to, the first part of their key. */
export type Keyed<T> = T & { readonly account: string };

export interface HushSchema extends DBSchema {
  accounts: { key: string; value: StoredAccount };
  messages: {
    key: number;
    value: MessageRecord;
    indexes: {
      byId: [account: string, id: string];
      byStanzaId: [account: string, stanzaId: string];
      byOriginId: [account: string, peer: string, originId: string];
      byConversation: [account: string, peer: string, timestamp: number, seq: number];
      byAccount: string;
    };
  };
  outbox: {
    key: number;
    value: OutboxRecord;
    indexes: {
      byId: [account: string, id: string];
      byCreation: [account: string, createdAt: number, seq: number];
    };
  };
  omemoIdentities: { key: string; value: Keyed<OmemoIdentity> };
  omemoPreKeys: { key: [account: string, keyId: number]; value: Keyed<OmemoPreKey> };
  omemoSignedPreKeys: { key: [account: string, keyId: number]; value: Keyed<OmemoSignedPreKey> };
  omemoSessions: {
    key: [account: string, jid: string, deviceId: number];
    value: { account: string; jid: string; deviceId: number; record: string };
  };
  omemoDevices: {
    key: [account: string, jid: string, deviceId: number];
    value: Keyed<OmemoDevice>;
  };
  uploads: {
    key: number;
    value: UploadRecord;
    indexes: {
      byId: [account: string, id: string];
      byCreation: [account: string, createdAt: number, seq: number];
    };
  };
}

export type HushDatabase = IDBPDatabase<HushSchema>;
export type HushStoreName = StoreNames<HushSchema>;

function upgrade(db: HushDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('accounts', { keyPath: 'jid' });
    // seq (autoIncrement) is the order of storing, which breaks timestamp ties. A compound index
    // skips records lacking one of its fields, so messages without stanzaId or originId never
    // collide in the unique indexes, as NULLs do in SQLite's.
    const messages = db.createObjectStore('messages', { keyPath: 'seq', autoIncrement: true });
    messages.createIndex('byId', ['account', 'id'], { unique: true });
    messages.createIndex('byStanzaId', ['account', 'stanzaId'], { unique: true });
    messages.createIndex('byOriginId', ['account', 'peer', 'originId'], { unique: true });
    messages.createIndex('byConversation', ['account', 'peer', 'timestamp', 'seq']);
    messages.createIndex('byAccount', 'account');
    const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    outbox.createIndex('byId', ['account', 'id'], { unique: true });
    outbox.createIndex('byCreation', ['account', 'createdAt', 'seq']);
    db.createObjectStore('omemoIdentities', { keyPath: 'account' });
    db.createObjectStore('omemoPreKeys', { keyPath: ['account', 'keyId'] });
    db.createObjectStore('omemoSignedPreKeys', { keyPath: ['account', 'keyId'] });
    db.createObjectStore('omemoSessions', { keyPath: ['account', 'jid', 'deviceId'] });
    db.createObjectStore('omemoDevices', { keyPath: ['account', 'jid', 'deviceId'] });
  }
  if (oldVersion < 2) {
    // Encrypted files on their way out; seq keeps the order of putting, as in the outbox.
    const uploads = db.createObjectStore('uploads', { keyPath: 'seq', autoIncrement: true });
    uploads.createIndex('byId', ['account', 'id'], { unique: true });
    uploads.createIndex('byCreation', ['account', 'createdAt', 'seq']);
  }
}

/**
 * Opens (creating or upgrading) the database `name` of `factory`. This is idb's openDB on a given
 * factory: openDB always opens the global one, and tests hand in fake-indexeddb's.
 */
export async function openHushDatabase(factory: IDBFactory, name: string): Promise<HushDatabase> {
  const open = factory.open(name, SCHEMA_VERSION);
  // wrap() cannot know the schema: it is HushSchema, which upgrade() makes.
  open.addEventListener('upgradeneeded', (event) =>
    upgrade(wrap(open.result) as HushDatabase, event.oldVersion),
  );
  const db = (await wrap(open)) as HushDatabase;
  // Another tab upgrading the schema asks this one to let go; the next reload opens the new one.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

/** Arrays sort after every number and string in IndexedDB keys: the top of a compound range. */
export const TOP: unknown[] = [];

/**
 * Runs `work` in one transaction on one store and resolves once it has committed. A failure in
 * `work` aborts the transaction, so nothing of it is kept.
 *
 * Awaiting idb's promises inside `work` keeps the transaction alive (they settle in the request's
 * success event); awaiting anything else would let it commit early.
 */
export async function inTransaction<Name extends HushStoreName, Mode extends IDBTransactionMode, T>(
  db: HushDatabase,
  storeName: Name,
  mode: Mode,
  work: (tx: IDBPTransaction<HushSchema, [Name], Mode>) => Promise<T>,
): Promise<T> {
  const tx = db.transaction(storeName, mode);
  let result: T;
  try {
    result = await work(tx);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // already finished
    }
    await tx.done.catch(() => undefined);
    throw error;
  }
  await tx.done;
  return result;
}

/** Deletes the record under `key`; false if there was none. */
export function removeByKey<Name extends HushStoreName>(
  db: HushDatabase,
  storeName: Name,
  key: StoreKey<HushSchema, Name>,
): Promise<boolean> {
  return inTransaction(db, storeName, 'readwrite', async (tx) => {
    if ((await tx.store.count(key)) === 0) return false;
    await tx.store.delete(key);
    return true;
  });
}

/**
 * Changes the record with this (account, id) in a queue (a store keyed by seq with a byId index);
 * false if there is none. `change` spreads the stored record, which keeps its seq (its place in the
 * order) and the fields a newer version added.
 */
export function updateById<Name extends 'outbox' | 'uploads'>(
  db: HushDatabase,
  storeName: Name,
  account: string,
  id: string,
  change: (record: StoreValue<HushSchema, Name>) => StoreValue<HushSchema, Name>,
): Promise<boolean> {
  return inTransaction(db, storeName, 'readwrite', async (tx) => {
    // Both queues' byId is [account, id]; TypeScript cannot see that through a generic name.
    const key = [account, id] as IndexKey<HushSchema, Name, 'byId'>;
    const existing = await tx.store.index('byId').get(key);
    if (!existing) return false;
    await tx.store.put(change(existing));
    return true;
  });
}
