// The outbox in SQLite (table outbox, sql-schema.ts migration 2); seq keeps the order of putting.
// next_attempt_at is read by nothing (resends follow the stream, not a clock); it is written, as
// created_at, only because older versions of Hush require it (NOT NULL) and may open this database.
import type { OutboxChanges, OutboxEntry, OutboxStore } from './types.ts';
import { numeric, text, type SqlQueue, type SqlRow } from './sql-driver.ts';

const PUT = `INSERT INTO outbox (id, account, message_id, stanza_xml, attempts, created_at,
    next_attempt_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (account, id) DO UPDATE SET message_id = excluded.message_id,
    stanza_xml = excluded.stanza_xml, attempts = excluded.attempts,
    created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`;
const UPDATE = `UPDATE outbox SET stanza_xml = COALESCE(?, stanza_xml),
    attempts = COALESCE(?, attempts)
  WHERE account = ? AND id = ?`;

function toEntry(row: SqlRow): OutboxEntry {
  return {
    id: text(row, 'id'),
    account: text(row, 'account'),
    messageId: text(row, 'message_id'),
    stanzaXml: text(row, 'stanza_xml'),
    attempts: numeric(row, 'attempts'),
    createdAt: numeric(row, 'created_at'),
  };
}

export class SqlOutboxStore implements OutboxStore {
  readonly #queue: SqlQueue;

  constructor(queue: SqlQueue) {
    this.#queue = queue;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.#queue.write(PUT, [
      entry.id,
      entry.account,
      entry.messageId,
      entry.stanzaXml,
      entry.attempts,
      entry.createdAt,
      entry.createdAt,
    ]);
  }

  remove(account: string, id: string): Promise<boolean> {
    return this.#queue.changed('DELETE FROM outbox WHERE account = ? AND id = ?', [account, id]);
  }

  async list(account: string): Promise<OutboxEntry[]> {
    const rows = await this.#queue.all(
      'SELECT * FROM outbox WHERE account = ? ORDER BY created_at, seq',
      [account],
    );
    return rows.map(toEntry);
  }

  update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    return this.#queue.changed(UPDATE, [
      changes.stanzaXml ?? null,
      changes.attempts ?? null,
      account,
      id,
    ]);
  }
}
