// Kept files on the web: an IndexedDB database of its own next to the app's storage, one record per
// file (its ciphertext, under its https:// URL). A database of its own keeps megabytes of files out
// of the transactions of messages and keys, and lets it be opened only when a file is first kept.
import type { KeptFiles } from '../platform/types.ts';

export interface IndexedDbFilesOptions {
  readonly name: string;
  /** Defaults to the browser's; tests pass fake-indexeddb's. */
  readonly factory?: IDBFactory;
}

const FILES = 'files';

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

export function indexedDbKeptFiles(options: IndexedDbFilesOptions): KeptFiles {
  let opening: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    opening ??= (async () => {
      const factory = options.factory ?? globalThis.indexedDB;
      if (!factory) throw new Error('This browser has no IndexedDB.');
      const req = factory.open(options.name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(FILES);
      const db = await request(req);
      // Deleting the database (the account was deleted) asks this handle to let go.
      db.onversionchange = () => {
        db.close();
        opening = undefined;
      };
      return db;
    })();
    // A failed open (private mode, storage refused) is tried again next time.
    opening.catch(() => {
      opening = undefined;
    });
    return opening;
  };
  return {
    async read(url) {
      const db = await open();
      const value: unknown = await request(
        db.transaction(FILES, 'readonly').objectStore(FILES).get(url),
      );
      return value instanceof Uint8Array ? value : undefined;
    },
    async write(url, bytes) {
      const db = await open();
      const tx = db.transaction(FILES, 'readwrite');
      tx.objectStore(FILES).put(bytes, url);
      await done(tx);
    },
  };
}

export function deleteIndexedDbKeptFiles(
  name: string,
  factory = globalThis.indexedDB,
): Promise<void> {
  return request(factory.deleteDatabase(name)).then(() => undefined);
}
