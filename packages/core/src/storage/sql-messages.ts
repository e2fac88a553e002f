// Messages in SQLite (table messages, sql-schema.ts migration 1; a file's description, 6). The unique indexes are the
// deduplication; seq, the order of storing, breaks timestamp ties.
import { canTransition, failureAfter, statesFor } from './state.ts';
import type {
  AddResult,
  Conversation,
  HistoryQuery,
  MessageFailure,
  MessageState,
  MessageStore,
  StoredMessage,
} from './types.ts';
import {
  numeric,
  optionalText,
  text,
  type SqlDriver,
  type SqlQueue,
  type SqlRow,
} from './sql-driver.ts';
import { FILE_COLUMNS, fileOf, fileValues } from './sql-file.ts';

const BY_ID = 'SELECT * FROM messages WHERE account = ? AND id = ?';
const BY_STANZA_ID = 'SELECT * FROM messages WHERE account = ? AND stanza_id = ?';
const BY_ORIGIN_ID = 'SELECT * FROM messages WHERE account = ? AND peer = ? AND origin_id = ?';
const INSERT = `INSERT INTO messages (id, account, peer, direction, body, timestamp, origin_id,
    stanza_id, state, failure_code, failure_message, encrypted, ${FILE_COLUMNS})
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const SET_STATE = `UPDATE messages SET state = ?, failure_code = ?, failure_message = ?
  WHERE account = ? AND id = ?`;
const SET_STANZA_ID =
  'UPDATE messages SET stanza_id = ? WHERE account = ? AND id = ? AND stanza_id IS NULL';
const CURSOR = 'SELECT timestamp, seq FROM messages WHERE account = ? AND peer = ? AND id = ?';
// Newest first with LIMIT, reversed in JS: the page is the newest `limit` before the cursor.
const page = (where: string): string =>
  `SELECT * FROM messages WHERE account = ? AND peer = ? ${where}
   ORDER BY timestamp DESC, seq DESC LIMIT ?`;
const NEWEST = page('');
const BEFORE = page('AND timestamp < ?');
const BEFORE_CURSOR = page('AND (timestamp < ? OR (timestamp = ? AND seq < ?))');
const CONVERSATIONS = `SELECT m.*, c.unread AS conversation_unread
  FROM (SELECT peer,
          SUM(direction = 'in' AND state <> 'read') AS unread,
          (SELECT seq FROM messages l WHERE l.account = g.account AND l.peer = g.peer
           ORDER BY timestamp DESC, seq DESC LIMIT 1) AS last_seq
        FROM messages g WHERE account = ? GROUP BY peer) c
  JOIN messages m ON m.seq = c.last_seq
  ORDER BY m.timestamp DESC, m.seq DESC`;
// The states that may become read, from the one rule in state.ts.
const READABLE = statesFor('in').filter((s) => canTransition('in', s, 'read'));
const MARK_READ = `UPDATE messages SET state = 'read'
  WHERE account = ? AND peer = ? AND direction = 'in' AND timestamp <= ?
    AND state IN (${READABLE.map(() => '?').join(', ')})`;

function toMessage(row: SqlRow): StoredMessage {
  const originId = optionalText(row, 'origin_id');
  const stanzaId = optionalText(row, 'stanza_id');
  const failureCode = optionalText(row, 'failure_code');
  const file = fileOf(row);
  return {
    id: text(row, 'id'),
    account: text(row, 'account'),
    peer: text(row, 'peer'),
    direction: text(row, 'direction') === 'out' ? 'out' : 'in',
    body: text(row, 'body'),
    timestamp: numeric(row, 'timestamp'),
    ...(originId !== undefined && { originId }),
    ...(stanzaId !== undefined && { stanzaId }),
    // Written only by this code from MessageState; a newer Hush adding states must keep rule 1.
    state: text(row, 'state') as MessageState,
    ...(failureCode !== undefined && {
      failure: { code: failureCode, message: optionalText(row, 'failure_message') ?? '' },
    }),
    encrypted: numeric(row, 'encrypted') !== 0,
    ...(file !== undefined && { file }),
  };
}

/** A stanza-id belongs to one message and never changes once known. */
async function trySetStanzaId(
  driver: SqlDriver,
  account: string,
  id: string,
  stanzaId: string,
): Promise<boolean> {
  if (await driver.get(BY_STANZA_ID, [account, stanzaId])) return false;
  return (await driver.run(SET_STANZA_ID, [stanzaId, account, id])).changes > 0;
}

export class SqlMessageStore implements MessageStore {
  readonly #queue: SqlQueue;

  constructor(queue: SqlQueue) {
    this.#queue = queue;
  }

  add(message: StoredMessage): Promise<AddResult> {
    const { account } = message;
    return this.#queue.transaction(async (driver) => {
      const existing =
        (await driver.get(BY_ID, [account, message.id])) ??
        (message.stanzaId === undefined
          ? undefined
          : await driver.get(BY_STANZA_ID, [account, message.stanzaId])) ??
        (message.originId === undefined
          ? undefined
          : await driver.get(BY_ORIGIN_ID, [account, message.peer, message.originId]));
      if (existing) {
        const id = text(existing, 'id');
        if (existing.stanza_id === null && message.stanzaId !== undefined) {
          await trySetStanzaId(driver, account, id, message.stanzaId);
        }
        const stored = await driver.get(BY_ID, [account, id]);
        return { stored: toMessage(stored ?? existing), duplicate: true };
      }
      await driver.run(INSERT, [
        message.id,
        account,
        message.peer,
        message.direction,
        message.body,
        message.timestamp,
        message.originId ?? null,
        message.stanzaId ?? null,
        message.state,
        message.failure?.code ?? null,
        message.failure?.message ?? null,
        message.encrypted ? 1 : 0,
        ...fileValues(message.file),
      ]);
      const stored = await driver.get(BY_ID, [account, message.id]);
      if (!stored) throw new Error('storage: an inserted message is missing');
      return { stored: toMessage(stored), duplicate: false };
    });
  }

  async get(account: string, id: string): Promise<StoredMessage | undefined> {
    const row = await this.#queue.get(BY_ID, [account, id]);
    return row && toMessage(row);
  }

  async findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    const row = await this.#queue.get(BY_ORIGIN_ID, [account, peer, originId]);
    return row && toMessage(row);
  }

  async findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    const row = await this.#queue.get(BY_STANZA_ID, [account, stanzaId]);
    return row && toMessage(row);
  }

  updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    return this.#queue.transaction(async (driver) => {
      const row = await driver.get(BY_ID, [account, id]);
      if (!row) return false;
      const message = toMessage(row);
      if (!canTransition(message.direction, message.state, state)) return false;
      const next = failureAfter(message.state, message.failure, failure);
      await driver.run(SET_STATE, [state, next?.code ?? null, next?.message ?? null, account, id]);
      return true;
    });
  }

  setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    return this.#queue.transaction((driver) => trySetStanzaId(driver, account, id, stanzaId));
  }

  async history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    // SQLite reads a negative LIMIT as "no limit".
    if (!(limit > 0)) return [];
    const rows = await this.#queue.turn(async (driver) => {
      const cursor =
        query.beforeId === undefined
          ? undefined
          : await driver.get(CURSOR, [account, peer, query.beforeId]);
      if (cursor) {
        const timestamp = numeric(cursor, 'timestamp');
        const seq = numeric(cursor, 'seq');
        return driver.all(BEFORE_CURSOR, [account, peer, timestamp, timestamp, seq, limit]);
      }
      if (query.before !== undefined) {
        return driver.all(BEFORE, [account, peer, query.before, limit]);
      }
      return driver.all(NEWEST, [account, peer, limit]);
    });
    return rows.reverse().map(toMessage);
  }

  async conversations(account: string): Promise<Conversation[]> {
    return (await this.#queue.all(CONVERSATIONS, [account])).map((row) => ({
      peer: text(row, 'peer'),
      lastMessage: toMessage(row),
      unread: numeric(row, 'conversation_unread'),
    }));
  }

  async markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    const result = await this.#queue.turn((driver) =>
      driver.run(MARK_READ, [account, peer, upToTimestamp, ...READABLE]),
    );
    return result.changes;
  }
}
