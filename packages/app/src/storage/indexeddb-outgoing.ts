// What waits to go out, in the web app's IndexedDB database: the outbox's stanzas and the encrypted
// files of the uploads store (indexeddb-schema.ts). Both keep the order of putting in seq, which a
// replacement keeps.
import { copyFileDescription } from '@hush/core';
import type {
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  PendingUpload,
  UploadChanges,
  UploadStore,
} from '@hush/core';
import {
  bytes,
  inTransaction,
  TOP,
  updateById,
  type HushDatabase,
  type OutboxRecord,
  type UploadRecord,
} from './indexeddb-schema.ts';

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

// A file's description is one more field of the upload record: records written before it existed
// simply lack it, so it needed no new schema version.
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
      if (existing) await tx.store.put({ ...existing, ...copyEntry(entry) });
      // No seq yet: the key generator writes it into the stored record.
      else await tx.store.add(copyEntry(entry) as OutboxRecord);
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
    return (await this.db.getAllFromIndex('outbox', 'byCreation', range)).map(copyEntry);
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
