// What waits to go out, in the web app's IndexedDB database: the outbox's stanzas and the encrypted
// files of the uploads store (indexeddb-schema.ts). Both keep the order of putting in seq, which a
// replacement keeps.
import { copyOutboxEntry, copyUpload } from '@hush/core';
import type {
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  PendingUpload,
  UploadChanges,
  UploadStore,
} from '@hush/core';
import {
  inTransaction,
  TOP,
  updateById,
  type HushDatabase,
  type OutboxRecord,
  type UploadRecord,
} from './indexeddb-schema.ts';

export class IdbOutboxStore implements OutboxStore {
  private readonly db: HushDatabase;
  private readonly keyRange: typeof IDBKeyRange;

  constructor(db: HushDatabase, keyRange: typeof IDBKeyRange) {
    this.db = db;
    this.keyRange = keyRange;
  }

  put(entry: OutboxEntry): Promise<void> {
    return inTransaction(this.db, 'outbox', 'readwrite', async (tx) => {
      const existing = await tx.store.index('byId').get([entry.account, entry.id]);
      // Replacing keeps seq, and with it the entry's place in the order.
      if (existing) await tx.store.put({ ...existing, ...copyOutboxEntry(entry) });
      // No seq yet: the key generator writes it into the stored record.
      else await tx.store.add(copyOutboxEntry(entry) as OutboxRecord);
    });
  }

  remove(account: string, id: string): Promise<boolean> {
    return inTransaction(this.db, 'outbox', 'readwrite', async (tx) => {
      const existing = await tx.store.index('byId').get([account, id]);
      if (!existing) return false;
      await tx.store.delete(existing.seq);
      return true;
    });
  }

  async list(account: string): Promise<OutboxEntry[]> {
    const range = this.keyRange.bound([account], [account, TOP]);
    return (await this.db.getAllFromIndex('outbox', 'byCreation', range)).map(copyOutboxEntry);
  }

  update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    return updateById(this.db, 'outbox', account, id, (existing) => ({
      ...existing,
      stanzaXml: changes.stanzaXml ?? existing.stanzaXml,
      attempts: changes.attempts ?? existing.attempts,
    }));
  }
}

export class IdbUploadStore implements UploadStore {
  private readonly db: HushDatabase;
  private readonly keyRange: typeof IDBKeyRange;

  constructor(db: HushDatabase, keyRange: typeof IDBKeyRange) {
    this.db = db;
    this.keyRange = keyRange;
  }

  put(upload: PendingUpload): Promise<void> {
    return inTransaction(this.db, 'uploads', 'readwrite', async (tx) => {
      const existing = await tx.store.index('byId').get([upload.account, upload.id]);
      // Replacing keeps seq, and with it the upload's place in the order.
      if (existing) await tx.store.put({ ...copyUpload(upload), seq: existing.seq });
      // No seq yet: the key generator writes it into the stored record.
      else await tx.store.add(copyUpload(upload) as UploadRecord);
    });
  }

  async get(account: string, id: string): Promise<PendingUpload | undefined> {
    const found = await this.db.getFromIndex('uploads', 'byId', [account, id]);
    return found && copyUpload(found);
  }

  update(account: string, id: string, changes: UploadChanges): Promise<boolean> {
    // IndexedDB has no partial update: the record, ciphertext included, is read and written again
    // inside the transaction. What this saves is the caller handing the ciphertext over.
    return updateById(this.db, 'uploads', account, id, (existing) => ({
      ...existing,
      attempts: changes.attempts ?? existing.attempts,
      ...(changes.url !== undefined && { url: changes.url }),
    }));
  }

  remove(account: string, id: string): Promise<boolean> {
    return inTransaction(this.db, 'uploads', 'readwrite', async (tx) => {
      const found = await tx.store.index('byId').get([account, id]);
      if (!found) return false;
      await tx.store.delete(found.seq);
      return true;
    });
  }

  async list(account: string): Promise<PendingUpload[]> {
    const range = this.keyRange.bound([account], [account, TOP]);
    return (await this.db.getAllFromIndex('uploads', 'byCreation', range)).map(copyUpload);
  }
}
