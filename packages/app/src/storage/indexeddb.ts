// Hush storage in the browser's IndexedDB: the web app's messages, outbox, account and OMEMO keys
// survive reloads. Behaves as core's memory and SQLite backends do: core's storage contract runs
// against it (indexeddb.test.ts, on fake-indexeddb).
//
// One database: its schema and versions are in indexeddb-schema.ts, its stores in
// indexeddb-messages.ts, indexeddb-outgoing.ts (outbox, uploads), indexeddb-omemo.ts and below
// (accounts).
import { wrap } from 'idb';
import {
  byCodePoint,
  copyAccount,
  type AccountStore,
  type Storage,
  type StoredAccount,
} from '@hush/core';
import { IdbMessageStore } from './indexeddb-messages.ts';
import { IdbOmemoStore } from './indexeddb-omemo.ts';
import { IdbOutboxStore, IdbUploadStore } from './indexeddb-outgoing.ts';
import { openHushDatabase, removeByKey, type HushDatabase } from './indexeddb-schema.ts';

export interface IndexedDbOptions {
  /** The database name; one per app installation (several accounts share it). */
  readonly name: string;
  /** Defaults to the browser's; tests pass fake-indexeddb's. */
  readonly factory?: IDBFactory;
  readonly keyRange?: typeof IDBKeyRange;
}

class IdbAccountStore implements AccountStore {
  private readonly db: HushDatabase;

  constructor(db: HushDatabase) {
    this.db = db;
  }

  async get(jid: string): Promise<StoredAccount | undefined> {
    const found = await this.db.get('accounts', jid);
    return found && copyAccount(found);
  }

  async list(): Promise<StoredAccount[]> {
    const all = await this.db.getAll('accounts');
    return all.sort((a, b) => byCodePoint(a.jid, b.jid)).map(copyAccount);
  }

  async put(account: StoredAccount): Promise<void> {
    await this.db.put('accounts', copyAccount(account));
  }

  remove(jid: string): Promise<boolean> {
    return removeByKey(this.db, 'accounts', jid);
  }
}

/** Opens (creating or upgrading) the app's IndexedDB database. */
export async function openIndexedDbStorage(options: IndexedDbOptions): Promise<Storage> {
  const factory = options.factory ?? globalThis.indexedDB;
  const keyRange = options.keyRange ?? globalThis.IDBKeyRange;
  if (!factory || !keyRange) throw new Error('This browser has no IndexedDB.');
  const db = await openHushDatabase(factory, options.name);
  return {
    accounts: new IdbAccountStore(db),
    messages: new IdbMessageStore(db, keyRange),
    outbox: new IdbOutboxStore(db, keyRange),
    omemo: new IdbOmemoStore(db, keyRange),
    uploads: new IdbUploadStore(db, keyRange),
    close: async () => db.close(),
  };
}

/** Deletes the whole database (after an account is deleted, nothing of it stays on the device). */
export async function deleteIndexedDbStorage(
  name: string,
  factory = globalThis.indexedDB,
): Promise<void> {
  await wrap(factory.deleteDatabase(name));
}
