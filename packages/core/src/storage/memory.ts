// Storage in memory: for tests, and for a session that must leave nothing behind. Behaves exactly as
// the persistent backends do (test-utils' storage-contract.ts runs the same tests against all of them), including
// ordering ties by order of storing and returning copies.
import { canTransition, failureAfter } from './state.ts';
import type {
  AccountStore,
  AddResult,
  Conversation,
  HistoryQuery,
  MessageFailure,
  MessageState,
  MessageStore,
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  PendingUpload,
  Storage,
  StoredAccount,
  StoredMessage,
  UploadChanges,
  UploadStore,
} from './types.ts';
import {
  conversationsOf,
  copyAccount,
  copyMessage,
  copyOutboxEntry,
  copyUpload,
  withFailure,
} from './records.ts';
import { MemoryOmemoStore } from './memory-omemo.ts';

// Keys join parts with NUL, which cannot occur in a JID or an XML attribute value.
const key = (...parts: string[]): string => parts.join('\u0000');

interface MessageRecord {
  message: StoredMessage;
  /** Order of storing: breaks timestamp ties, as SQLite's rowid does. */
  readonly seq: number;
}

const byConversationOrder = (a: MessageRecord, b: MessageRecord): number =>
  a.message.timestamp - b.message.timestamp || a.seq - b.seq;

class MemoryMessageStore implements MessageStore {
  readonly #byId = new Map<string, MessageRecord>();
  readonly #byStanzaId = new Map<string, MessageRecord>();
  readonly #byOriginId = new Map<string, MessageRecord>();
  #seq = 0;

  async add(message: StoredMessage): Promise<AddResult> {
    const existing =
      this.#byId.get(key(message.account, message.id)) ??
      (message.stanzaId === undefined
        ? undefined
        : this.#byStanzaId.get(key(message.account, message.stanzaId))) ??
      (message.originId === undefined
        ? undefined
        : this.#byOriginId.get(key(message.account, message.peer, message.originId)));
    if (existing) {
      if (existing.message.stanzaId === undefined && message.stanzaId !== undefined) {
        await this.setStanzaId(message.account, existing.message.id, message.stanzaId);
      }
      return { stored: copyMessage(existing.message), duplicate: true };
    }
    const record: MessageRecord = { message: copyMessage(message), seq: ++this.#seq };
    this.#byId.set(key(message.account, message.id), record);
    if (message.stanzaId !== undefined) {
      this.#byStanzaId.set(key(message.account, message.stanzaId), record);
    }
    if (message.originId !== undefined) {
      this.#byOriginId.set(key(message.account, message.peer, message.originId), record);
    }
    return { stored: copyMessage(record.message), duplicate: false };
  }

  async get(account: string, id: string): Promise<StoredMessage | undefined> {
    const record = this.#byId.get(key(account, id));
    return record && copyMessage(record.message);
  }

  async findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    const record = this.#byOriginId.get(key(account, peer, originId));
    return record && copyMessage(record.message);
  }

  async findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    const record = this.#byStanzaId.get(key(account, stanzaId));
    return record && copyMessage(record.message);
  }

  async updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    const record = this.#byId.get(key(account, id));
    if (!record) return false;
    const { message } = record;
    if (!canTransition(message.direction, message.state, state)) return false;
    record.message = withFailure(
      { ...message, state },
      failureAfter(message.state, message.failure, failure),
    );
    return true;
  }

  async setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    const record = this.#byId.get(key(account, id));
    if (!record || record.message.stanzaId !== undefined) return false;
    if (this.#byStanzaId.has(key(account, stanzaId))) return false;
    record.message = { ...record.message, stanzaId };
    this.#byStanzaId.set(key(account, stanzaId), record);
    return true;
  }

  #conversation(account: string, peer: string): MessageRecord[] {
    return [...this.#byId.values()]
      .filter((r) => r.message.account === account && r.message.peer === peer)
      .sort(byConversationOrder);
  }

  async history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit > 0)) return [];
    let records = this.#conversation(account, peer);
    const cursor =
      query.beforeId === undefined ? undefined : this.#byId.get(key(account, query.beforeId));
    if (cursor && cursor.message.peer === peer) {
      records = records.filter((r) => byConversationOrder(r, cursor) < 0);
    } else if (query.before !== undefined) {
      const before = query.before;
      records = records.filter((r) => r.message.timestamp < before);
    }
    return records.slice(-limit).map((r) => copyMessage(r.message));
  }

  async conversations(account: string): Promise<Conversation[]> {
    const mine = [...this.#byId.values()].filter((record) => record.message.account === account);
    return conversationsOf(mine, (record) => record.message, byConversationOrder);
  }

  async markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    let changed = 0;
    for (const record of this.#byId.values()) {
      const m = record.message;
      if (m.account !== account || m.peer !== peer || m.direction !== 'in') continue;
      if (m.timestamp > upToTimestamp || !canTransition('in', m.state, 'read')) continue;
      record.message = { ...m, state: 'read' };
      changed++;
    }
    return changed;
  }
}

interface OutboxRecord {
  entry: OutboxEntry;
  readonly seq: number;
}

class MemoryOutboxStore implements OutboxStore {
  readonly #entries = new Map<string, OutboxRecord>();
  #seq = 0;

  async put(entry: OutboxEntry): Promise<void> {
    const k = key(entry.account, entry.id);
    const existing = this.#entries.get(k);
    if (existing) existing.entry = copyOutboxEntry(entry);
    else this.#entries.set(k, { entry: copyOutboxEntry(entry), seq: ++this.#seq });
  }

  async remove(account: string, id: string): Promise<boolean> {
    return this.#entries.delete(key(account, id));
  }

  async list(account: string): Promise<OutboxEntry[]> {
    return [...this.#entries.values()]
      .filter((r) => r.entry.account === account)
      .sort((a, b) => a.entry.createdAt - b.entry.createdAt || a.seq - b.seq)
      .map((r) => copyOutboxEntry(r.entry));
  }

  async update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    const record = this.#entries.get(key(account, id));
    if (!record) return false;
    const { entry } = record;
    record.entry = {
      ...entry,
      stanzaXml: changes.stanzaXml ?? entry.stanzaXml,
      attempts: changes.attempts ?? entry.attempts,
    };
    return true;
  }
}

class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, StoredAccount>();

  async get(jid: string): Promise<StoredAccount | undefined> {
    const account = this.#accounts.get(jid);
    return account && copyAccount(account);
  }

  async list(): Promise<StoredAccount[]> {
    return [...this.#accounts.values()]
      .sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0))
      .map(copyAccount);
  }

  async put(account: StoredAccount): Promise<void> {
    this.#accounts.set(account.jid, copyAccount(account));
  }

  async remove(jid: string): Promise<boolean> {
    return this.#accounts.delete(jid);
  }
}

interface UploadRecord {
  upload: PendingUpload;
  readonly seq: number;
}

class MemoryUploadStore implements UploadStore {
  readonly #uploads = new Map<string, UploadRecord>();
  #seq = 0;

  async put(upload: PendingUpload): Promise<void> {
    const k = key(upload.account, upload.id);
    const existing = this.#uploads.get(k);
    if (existing) existing.upload = copyUpload(upload);
    else this.#uploads.set(k, { upload: copyUpload(upload), seq: ++this.#seq });
  }

  async get(account: string, id: string): Promise<PendingUpload | undefined> {
    const record = this.#uploads.get(key(account, id));
    return record && copyUpload(record.upload);
  }

  async update(account: string, id: string, changes: UploadChanges): Promise<boolean> {
    const record = this.#uploads.get(key(account, id));
    if (!record) return false;
    const { upload } = record;
    // The stored ciphertext is this store's own copy; the new record shares it.
    record.upload = {
      ...upload,
      attempts: changes.attempts ?? upload.attempts,
      ...(changes.url !== undefined && { url: changes.url }),
    };
    return true;
  }

  async remove(account: string, id: string): Promise<boolean> {
    return this.#uploads.delete(key(account, id));
  }

  async list(account: string): Promise<PendingUpload[]> {
    return [...this.#uploads.values()]
      .filter((r) => r.upload.account === account)
      .sort((a, b) => a.upload.createdAt - b.upload.createdAt || a.seq - b.seq)
      .map((r) => copyUpload(r.upload));
  }
}

/** A fresh, empty storage held in memory. */
export function createMemoryStorage(): Storage {
  return {
    accounts: new MemoryAccountStore(),
    messages: new MemoryMessageStore(),
    outbox: new MemoryOutboxStore(),
    omemo: new MemoryOmemoStore(),
    uploads: new MemoryUploadStore(),
    close: async () => {},
  };
}
