// The web app's saved login (SCRAM keys, FAST token, client id; core's SavedLogin), in an IndexedDB
// database of its own, sealed with AES-256-GCM under a WebCrypto key made non-extractable: the page's
// scripts can use the key but never read it, so nothing of the login can be copied out of the
// browser's storage as text, only used from this origin. SCRAM itself needs the ClientKey as bytes
// (it is XORed into the proof), and the FAST token is an HMAC key sent through xmpp.js as text, so
// both are unsealed in memory for the login; only at rest are they sealed.
// The password is never kept. An older version kept it in the accounts store: it is read once, for
// the login that replaces it, and erased.
import { decodeSavedLogin, encodeSavedLogin, type AccountStore, type SavedLogin } from '@hush/core';
import type { CredentialVault } from '../platform/types.ts';

const STORE = 'logins';

interface SealedLogin {
  readonly jid: string;
  /** AES-GCM, non-extractable: IndexedDB keeps the CryptoKey itself (structured clone). */
  readonly key: CryptoKey;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly sealed: ArrayBuffer;
}

export interface LoginDatabaseOptions {
  readonly name: string;
  /** Defaults to the browser's; tests pass fake-indexeddb's. */
  readonly factory?: IDBFactory;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

async function openLogins(options: LoginDatabaseOptions): Promise<IDBDatabase> {
  const factory = options.factory ?? globalThis.indexedDB;
  const open = factory.open(options.name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'jid' });
  const db = await request(open);
  db.onversionchange = () => db.close();
  return db;
}

async function inStore<T>(
  options: LoginDatabaseOptions,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openLogins(options);
  try {
    const tx = db.transaction(STORE, mode);
    const committed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    const result = await request(work(tx.objectStore(STORE)));
    await committed;
    return result;
  } finally {
    db.close();
  }
}

/**
 * The saved-login vault of the web app: the database `options.name`, and the legacy password in
 * `accounts` (the app's storage) until the first login erases it.
 */
export function indexedDbLoginVault(
  options: LoginDatabaseOptions,
  accounts: AccountStore,
): CredentialVault {
  return {
    async load(jid) {
      const record = await inStore<SealedLogin | undefined>(options, 'readonly', (store) =>
        store.get(jid),
      );
      if (!record) return undefined;
      const text = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: record.iv },
        record.key,
        record.sealed,
      );
      return decodeSavedLogin(new TextDecoder().decode(text));
    },
    async save(jid, login: SavedLogin) {
      // A new key for every save: the old record, key and all, is replaced.
      const key = await globalThis.crypto.subtle.generateKey(
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      );
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
      const sealed = await globalThis.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv },
        key,
        new TextEncoder().encode(encodeSavedLogin(login)),
      );
      const record: SealedLogin = { jid, key, iv, sealed };
      await inStore(options, 'readwrite', (store) => store.put(record));
    },
    async forget(jid) {
      await inStore(options, 'readwrite', (store) => store.delete(jid));
    },
    async legacyPassword(jid) {
      return (await accounts.get(jid))?.password;
    },
    async eraseLegacyPassword(jid) {
      const account = await accounts.get(jid);
      if (account?.password === undefined) return;
      await accounts.put({
        jid: account.jid,
        service: account.service,
        resource: account.resource,
        ...(account.mamLastStanzaId !== undefined && { mamLastStanzaId: account.mamLastStanzaId }),
      });
    },
  };
}

/** Deletes the logins database (after the account is deleted). */
export function deleteIndexedDbLogins(name: string, factory = globalThis.indexedDB): Promise<void> {
  return request(factory.deleteDatabase(name)).then(() => undefined);
}
