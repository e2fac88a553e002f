// Messages in the web app's IndexedDB database (the `messages` store of indexeddb-schema.ts).
import { canTransition, conversationsOf, copyMessage, failureAfter } from '@hush/core';
import type {
  AddResult,
  Conversation,
  HistoryQuery,
  MessageFailure,
  MessageState,
  MessageStore,
  StoredMessage,
} from '@hush/core';
import { inTransaction, TOP, type HushDatabase, type MessageRecord } from './indexeddb-schema.ts';

// A file's description is one more field of the message record: records written before it existed
// simply lack it, so it needed no new schema version.

/** A stored record changed in place before it is put back. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const byConversationOrder = (a: MessageRecord, b: MessageRecord): number =>
  a.timestamp - b.timestamp || a.seq - b.seq;

export class IdbMessageStore implements MessageStore {
  private readonly db: HushDatabase;
  private readonly keyRange: typeof IDBKeyRange;

  constructor(db: HushDatabase, keyRange: typeof IDBKeyRange) {
    this.db = db;
    this.keyRange = keyRange;
  }

  add(message: StoredMessage): Promise<AddResult> {
    return inTransaction(this.db, 'messages', 'readwrite', async (tx) => {
      const store = tx.store;
      const existing =
        (await store.index('byId').get([message.account, message.id])) ??
        (message.stanzaId === undefined
          ? undefined
          : await store.index('byStanzaId').get([message.account, message.stanzaId])) ??
        (message.originId === undefined
          ? undefined
          : await store.index('byOriginId').get([message.account, message.peer, message.originId]));
      if (existing) {
        let stored: MessageRecord = existing;
        if (existing.stanzaId === undefined && message.stanzaId !== undefined) {
          const taken = await store.index('byStanzaId').count([message.account, message.stanzaId]);
          if (taken === 0) {
            stored = { ...existing, stanzaId: message.stanzaId };
            await store.put(stored);
          }
        }
        return { stored: copyMessage(stored), duplicate: true };
      }
      const record = copyMessage(message);
      // No seq yet: the key generator writes it into the stored record.
      await store.add(record as MessageRecord);
      return { stored: copyMessage(record), duplicate: false };
    });
  }

  async get(account: string, id: string): Promise<StoredMessage | undefined> {
    const found = await this.db.getFromIndex('messages', 'byId', [account, id]);
    return found && copyMessage(found);
  }

  async findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    const found = await this.db.getFromIndex('messages', 'byOriginId', [account, peer, originId]);
    return found && copyMessage(found);
  }

  async findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    const found = await this.db.getFromIndex('messages', 'byStanzaId', [account, stanzaId]);
    return found && copyMessage(found);
  }

  updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    return inTransaction(this.db, 'messages', 'readwrite', async (tx) => {
      const found = await tx.store.index('byId').get([account, id]);
      if (!found || !canTransition(found.direction, found.state, state)) return false;
      const next: Mutable<MessageRecord> = { ...found, state };
      const kept = failureAfter(found.state, found.failure, failure);
      if (kept) next.failure = { code: kept.code, message: kept.message };
      else delete next.failure;
      await tx.store.put(next);
      return true;
    });
  }

  setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    return inTransaction(this.db, 'messages', 'readwrite', async (tx) => {
      const store = tx.store;
      const found = await store.index('byId').get([account, id]);
      if (!found || found.stanzaId !== undefined) return false;
      if ((await store.index('byStanzaId').count([account, stanzaId])) > 0) return false;
      await store.put({ ...found, stanzaId });
      return true;
    });
  }

  history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit > 0)) return Promise.resolve([]);
    return inTransaction(this.db, 'messages', 'readonly', async (tx) => {
      const store = tx.store;
      let upper: unknown[] = [account, peer, TOP];
      let open = false;
      const cursor =
        query.beforeId === undefined
          ? undefined
          : await store.index('byId').get([account, query.beforeId]);
      if (cursor && cursor.peer === peer) {
        upper = [account, peer, cursor.timestamp, cursor.seq];
        open = true;
      } else if (query.before !== undefined) {
        // [a, p, t] sorts before every [a, p, t, seq]: an open bound excludes timestamp t itself.
        upper = [account, peer, query.before];
        open = true;
      }
      const range = this.keyRange.bound([account, peer], upper, false, open);
      const page: MessageRecord[] = [];
      for await (const at of store.index('byConversation').iterate(range, 'prev')) {
        page.push(at.value);
        if (page.length === limit) break;
      }
      return page.reverse().map((m) => copyMessage(m));
    });
  }

  conversations(account: string): Promise<Conversation[]> {
    return inTransaction(this.db, 'messages', 'readonly', async (tx) => {
      const all = await tx.store.index('byAccount').getAll(this.keyRange.only(account));
      return conversationsOf(all, (m) => m, byConversationOrder);
    });
  }

  markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    return inTransaction(this.db, 'messages', 'readwrite', async (tx) => {
      const store = tx.store;
      const range = this.keyRange.bound([account, peer], [account, peer, upToTimestamp, TOP]);
      const due = (await store.index('byConversation').getAll(range)).filter(
        (m) => m.direction === 'in' && canTransition('in', m.state, 'read'),
      );
      await Promise.all(due.map((m) => store.put({ ...m, state: 'read' })));
      return due.length;
    });
  }
}
