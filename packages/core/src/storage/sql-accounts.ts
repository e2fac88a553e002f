// Accounts in SQLite (table accounts, sql-schema.ts migrations 1 and 2).
import type { AccountStore, StoredAccount } from './types.ts';
import { optionalText, text, type SqlQueue, type SqlRow } from './sql-driver.ts';

const PUT = `INSERT INTO accounts (jid, service, password, resource, mam_last_stanza_id)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (jid) DO UPDATE SET service = excluded.service, password = excluded.password,
    resource = excluded.resource, mam_last_stanza_id = excluded.mam_last_stanza_id`;

function toAccount(row: SqlRow): StoredAccount {
  const password = optionalText(row, 'password');
  const mamLastStanzaId = optionalText(row, 'mam_last_stanza_id');
  return {
    jid: text(row, 'jid'),
    service: text(row, 'service'),
    ...(password !== undefined && { password }),
    resource: text(row, 'resource'),
    ...(mamLastStanzaId !== undefined && { mamLastStanzaId }),
  };
}

export class SqlAccountStore implements AccountStore {
  readonly #queue: SqlQueue;

  constructor(queue: SqlQueue) {
    this.#queue = queue;
  }

  async get(jid: string): Promise<StoredAccount | undefined> {
    const row = await this.#queue.get('SELECT * FROM accounts WHERE jid = ?', [jid]);
    return row && toAccount(row);
  }

  async list(): Promise<StoredAccount[]> {
    return (await this.#queue.all('SELECT * FROM accounts ORDER BY jid', [])).map(toAccount);
  }

  async put(account: StoredAccount): Promise<void> {
    await this.#queue.write(PUT, [
      account.jid,
      account.service,
      account.password ?? null,
      account.resource,
      account.mamLastStanzaId ?? null,
    ]);
  }

  remove(jid: string): Promise<boolean> {
    return this.#queue.changed('DELETE FROM accounts WHERE jid = ?', [jid]);
  }
}
