// Accounts in SQLite (table accounts, sql-schema.ts migrations 1, 2 and 5), and the account's saved
// login (column saved_login), which the account record itself never carries.
import type { AccountStore, Storage, StoredAccount } from './types.ts';
import { optionalText, text, type SqlQueue, type SqlRow } from './sql-driver.ts';
import type { LoginVault } from '../account/stored-login.ts';
import { decodeSavedLogin, encodeSavedLogin, type SavedLogin } from '../xmpp/saved-login.ts';

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
      // Hush itself puts none any more (the saved login replaces it, sqlLoginVault); an account
      // read from an older version's row carries its password until erasePassword().
      account.password ?? null,
      account.resource,
      account.mamLastStanzaId ?? null,
    ]);
  }

  remove(jid: string): Promise<boolean> {
    return this.#scrubbed(() => this.#queue.changed('DELETE FROM accounts WHERE jid = ?', [jid]));
  }

  /** The account's saved login; a HushError 'WrongPassword' when what is stored is unreadable. */
  async getLogin(jid: string): Promise<SavedLogin | undefined> {
    const row = await this.#queue.get('SELECT saved_login FROM accounts WHERE jid = ?', [jid]);
    const saved = row && optionalText(row, 'saved_login');
    return saved === undefined ? undefined : decodeSavedLogin(saved);
  }

  /** Stores the saved login of an account already stored; false when there is no such account. */
  async putLogin(jid: string, login: SavedLogin | undefined): Promise<boolean> {
    const encoded = login === undefined ? null : encodeSavedLogin(login);
    // The old token and keys are credentials too: what they leave behind is wiped.
    return this.#scrubbed(() =>
      this.#queue.changed('UPDATE accounts SET saved_login = ? WHERE jid = ?', [encoded, jid]),
    );
  }

  /** The password an older version stored with the account. */
  async getPassword(jid: string): Promise<string | undefined> {
    const row = await this.#queue.get('SELECT password FROM accounts WHERE jid = ?', [jid]);
    return row && optionalText(row, 'password');
  }

  /** Erases the stored password, and every copy SQLite kept of it, at once. */
  async erasePassword(jid: string): Promise<void> {
    await this.#scrubbed(() =>
      this.#queue.changed('UPDATE accounts SET password = NULL WHERE jid = ?', [jid]),
    );
    // Rows and pages an older version freed (and the journal) may still hold the password: the
    // file is rewritten once, without them.
    await this.#queue.turn(async (driver) => {
      await driver.exec('VACUUM');
      await driver.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    });
  }

  /**
   * Runs a write with SQLite's secure_delete on (what it frees is overwritten with zeros), then moves
   * the write-ahead log into the file and empties it, so no earlier version of the row is left in
   * either file. (A driver without a WAL ignores the checkpoint.)
   */
  async #scrubbed<T>(write: () => Promise<T>): Promise<T> {
    await this.#queue.turn((driver) => driver.exec('PRAGMA secure_delete = ON'));
    const result = await write();
    await this.#queue.turn((driver) => driver.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
    return result;
  }
}

/**
 * The saved-login vault of a SQLite storage (core's openSqlStorage), in its accounts table: the CLI's
 * profile, and wherever else the account lives in SQLite. Undefined for other storages.
 */
export function sqlLoginVault(storage: Storage): LoginVault | undefined {
  const accounts = storage.accounts;
  if (!(accounts instanceof SqlAccountStore)) return undefined;
  return {
    load: (jid) => accounts.getLogin(jid),
    async save(jid, login) {
      await accounts.putLogin(jid, login);
    },
    async forget(jid) {
      await accounts.putLogin(jid, undefined);
    },
    legacyPassword: (jid) => accounts.getPassword(jid),
    eraseLegacyPassword: (jid) => accounts.erasePassword(jid),
  };
}
