// Hush storage in a SQLite file on Node, through Node's built-in node:sqlite (no native module to
// build). The schema and its rules are in schema.ts; the behaviour is core's storage contract, which
// sqlite.test.ts runs against this backend as memory.test.ts does against the memory one.
//
// node:sqlite is synchronous: each method does its work at once and returns a settled Promise, so
// no other call interleaves with it inside this process. Multi-statement writes still run in
// BEGIN IMMEDIATE transactions for other processes on the same file (two CLI invocations).
import { closeSync, openSync } from 'node:fs';
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from 'node:sqlite';
import { canTransition, failureAfter, statesFor } from '@hush/core';
import type {
  AccountStore,
  AddResult,
  Conversation,
  HistoryQuery,
  MessageFailure,
  MessageState,
  MessageStore,
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
  OmemoTrust,
  OutboxChanges,
  OutboxEntry,
  OutboxStore,
  PendingUpload,
  Storage,
  StoredAccount,
  StoredMessage,
  UploadStore,
} from '@hush/core';
import { migrate } from './schema.ts';

type Row = Record<string, SQLOutputValue>;

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`storage: ${column} is not text`);
  return value;
}

function optionalText(row: Row, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : text(row, column);
}

function numeric(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw new TypeError(`storage: ${column} is not a number`);
  return value;
}

// node:sqlite reads a BLOB into a new plain Uint8Array, so what it returns is already a copy.
function bytes(row: Row, column: string): Uint8Array {
  const value = row[column];
  if (!(value instanceof Uint8Array)) throw new TypeError(`storage: ${column} is not a blob`);
  return value;
}

function toMessage(row: Row): StoredMessage {
  const originId = optionalText(row, 'origin_id');
  const stanzaId = optionalText(row, 'stanza_id');
  const failureCode = optionalText(row, 'failure_code');
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
  };
}

function toEntry(row: Row): OutboxEntry {
  return {
    id: text(row, 'id'),
    account: text(row, 'account'),
    messageId: text(row, 'message_id'),
    stanzaXml: text(row, 'stanza_xml'),
    attempts: numeric(row, 'attempts'),
    createdAt: numeric(row, 'created_at'),
    nextAttemptAt: numeric(row, 'next_attempt_at'),
  };
}

function toAccount(row: Row): StoredAccount {
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

function toIdentity(row: Row): OmemoIdentity {
  return {
    deviceId: numeric(row, 'device_id'),
    registrationId: numeric(row, 'registration_id'),
    publicKey: bytes(row, 'public_key'),
    privateKey: bytes(row, 'private_key'),
    createdAt: numeric(row, 'created_at'),
  };
}

function toPreKey(row: Row): OmemoPreKey {
  return {
    keyId: numeric(row, 'key_id'),
    publicKey: bytes(row, 'public_key'),
    privateKey: bytes(row, 'private_key'),
  };
}

function toSignedPreKey(row: Row): OmemoSignedPreKey {
  return {
    ...toPreKey(row),
    signature: bytes(row, 'signature'),
    createdAt: numeric(row, 'created_at'),
  };
}

function toDevice(row: Row): OmemoDevice {
  const identityKey = row.identity_key === null ? undefined : bytes(row, 'identity_key');
  return {
    jid: text(row, 'jid'),
    deviceId: numeric(row, 'device_id'),
    ...(identityKey !== undefined && { identityKey }),
    // Written only by this code from OmemoTrust; a newer Hush adding levels must keep rule 1.
    trust: text(row, 'trust') as OmemoTrust,
    active: numeric(row, 'active') !== 0,
    firstSeen: numeric(row, 'first_seen'),
    lastSeen: numeric(row, 'last_seen'),
  };
}

function toUpload(row: Row): PendingUpload {
  const url = optionalText(row, 'url');
  return {
    id: text(row, 'id'),
    account: text(row, 'account'),
    peer: text(row, 'peer'),
    ciphertext: bytes(row, 'ciphertext'),
    key: bytes(row, 'key'),
    iv: bytes(row, 'iv'),
    createdAt: numeric(row, 'created_at'),
    attempts: numeric(row, 'attempts'),
    ...(url !== undefined && { url }),
  };
}

/** Runs `work` in a write transaction, or inside the one already open. */
function transaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

const changed = (result: { changes: number | bigint }): boolean => Number(result.changes) > 0;

class SqliteMessageStore implements MessageStore {
  readonly #db: DatabaseSync;
  readonly #byId: StatementSync;
  readonly #byStanzaId: StatementSync;
  readonly #byOriginId: StatementSync;
  readonly #insert: StatementSync;
  readonly #setState: StatementSync;
  readonly #setStanzaId: StatementSync;
  readonly #newest: StatementSync;
  readonly #before: StatementSync;
  readonly #beforeCursor: StatementSync;
  readonly #cursor: StatementSync;
  readonly #conversations: StatementSync;
  readonly #markRead: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#byId = db.prepare('SELECT * FROM messages WHERE account = ? AND id = ?');
    this.#byStanzaId = db.prepare('SELECT * FROM messages WHERE account = ? AND stanza_id = ?');
    this.#byOriginId = db.prepare(
      'SELECT * FROM messages WHERE account = ? AND peer = ? AND origin_id = ?',
    );
    this.#insert = db.prepare(
      `INSERT INTO messages (id, account, peer, direction, body, timestamp, origin_id, stanza_id,
         state, failure_code, failure_message, encrypted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#setState = db.prepare(
      `UPDATE messages SET state = ?, failure_code = ?, failure_message = ?
       WHERE account = ? AND id = ?`,
    );
    this.#setStanzaId = db.prepare(
      'UPDATE messages SET stanza_id = ? WHERE account = ? AND id = ? AND stanza_id IS NULL',
    );
    // Newest first with LIMIT, reversed in JS: the page is the newest `limit` before the cursor.
    const page = (where: string): string =>
      `SELECT * FROM messages WHERE account = ? AND peer = ? ${where}
       ORDER BY timestamp DESC, seq DESC LIMIT ?`;
    this.#newest = db.prepare(page(''));
    this.#before = db.prepare(page('AND timestamp < ?'));
    this.#beforeCursor = db.prepare(page('AND (timestamp < ? OR (timestamp = ? AND seq < ?))'));
    this.#cursor = db.prepare(
      'SELECT timestamp, seq FROM messages WHERE account = ? AND peer = ? AND id = ?',
    );
    this.#conversations = db.prepare(
      `SELECT m.*, c.unread AS conversation_unread
       FROM (SELECT peer,
               SUM(direction = 'in' AND state <> 'read') AS unread,
               (SELECT seq FROM messages l WHERE l.account = g.account AND l.peer = g.peer
                ORDER BY timestamp DESC, seq DESC LIMIT 1) AS last_seq
             FROM messages g WHERE account = ? GROUP BY peer) c
       JOIN messages m ON m.seq = c.last_seq
       ORDER BY m.timestamp DESC, m.seq DESC`,
    );
    // The states that may become read, from the one rule in core (state.ts).
    const readable = statesFor('in').filter((s) => canTransition('in', s, 'read'));
    this.#markRead = db.prepare(
      `UPDATE messages SET state = 'read'
       WHERE account = ? AND peer = ? AND direction = 'in' AND timestamp <= ?
         AND state IN (${readable.map((s) => `'${s}'`).join(', ')})`,
    );
  }

  #find(message: StoredMessage): Row | undefined {
    return (
      this.#byId.get(message.account, message.id) ??
      (message.stanzaId === undefined
        ? undefined
        : this.#byStanzaId.get(message.account, message.stanzaId)) ??
      (message.originId === undefined
        ? undefined
        : this.#byOriginId.get(message.account, message.peer, message.originId))
    );
  }

  #trySetStanzaId(account: string, id: string, stanzaId: string): boolean {
    if (this.#byStanzaId.get(account, stanzaId)) return false;
    return changed(this.#setStanzaId.run(stanzaId, account, id));
  }

  async add(message: StoredMessage): Promise<AddResult> {
    return transaction(this.#db, () => {
      const existing = this.#find(message);
      if (existing) {
        const id = text(existing, 'id');
        if (existing.stanza_id === null && message.stanzaId !== undefined) {
          this.#trySetStanzaId(message.account, id, message.stanzaId);
        }
        const stored = this.#byId.get(message.account, id);
        return { stored: toMessage(stored ?? existing), duplicate: true };
      }
      this.#insert.run(
        message.id,
        message.account,
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
      );
      const stored = this.#byId.get(message.account, message.id);
      if (!stored) throw new Error('storage: an inserted message is missing');
      return { stored: toMessage(stored), duplicate: false };
    });
  }

  async get(account: string, id: string): Promise<StoredMessage | undefined> {
    const row = this.#byId.get(account, id);
    return row && toMessage(row);
  }

  async findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    const row = this.#byOriginId.get(account, peer, originId);
    return row && toMessage(row);
  }

  async findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    const row = this.#byStanzaId.get(account, stanzaId);
    return row && toMessage(row);
  }

  async updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    return transaction(this.#db, () => {
      const row = this.#byId.get(account, id);
      if (!row) return false;
      const message = toMessage(row);
      if (!canTransition(message.direction, message.state, state)) return false;
      const next = failureAfter(message.state, message.failure, failure);
      this.#setState.run(state, next?.code ?? null, next?.message ?? null, account, id);
      return true;
    });
  }

  async setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    return transaction(this.#db, () => this.#trySetStanzaId(account, id, stanzaId));
  }

  async history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    // SQLite reads a negative LIMIT as "no limit".
    if (!(limit > 0)) return [];
    const cursor =
      query.beforeId === undefined ? undefined : this.#cursor.get(account, peer, query.beforeId);
    let rows: Row[];
    if (cursor) {
      const timestamp = numeric(cursor, 'timestamp');
      rows = this.#beforeCursor.all(
        account,
        peer,
        timestamp,
        timestamp,
        numeric(cursor, 'seq'),
        limit,
      );
    } else if (query.before !== undefined) {
      rows = this.#before.all(account, peer, query.before, limit);
    } else {
      rows = this.#newest.all(account, peer, limit);
    }
    return rows.reverse().map(toMessage);
  }

  async conversations(account: string): Promise<Conversation[]> {
    return this.#conversations.all(account).map((row) => ({
      peer: text(row, 'peer'),
      lastMessage: toMessage(row),
      unread: numeric(row, 'conversation_unread'),
    }));
  }

  async markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    return Number(this.#markRead.run(account, peer, upToTimestamp).changes);
  }
}

class SqliteOutboxStore implements OutboxStore {
  readonly #put: StatementSync;
  readonly #remove: StatementSync;
  readonly #list: StatementSync;
  readonly #update: StatementSync;

  constructor(db: DatabaseSync) {
    this.#put = db.prepare(
      `INSERT INTO outbox (id, account, message_id, stanza_xml, attempts, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, id) DO UPDATE SET message_id = excluded.message_id,
         stanza_xml = excluded.stanza_xml, attempts = excluded.attempts,
         created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`,
    );
    this.#remove = db.prepare('DELETE FROM outbox WHERE account = ? AND id = ?');
    this.#list = db.prepare('SELECT * FROM outbox WHERE account = ? ORDER BY created_at, seq');
    this.#update = db.prepare(
      `UPDATE outbox SET stanza_xml = COALESCE(?, stanza_xml), attempts = COALESCE(?, attempts),
         next_attempt_at = COALESCE(?, next_attempt_at)
       WHERE account = ? AND id = ?`,
    );
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.#put.run(
      entry.id,
      entry.account,
      entry.messageId,
      entry.stanzaXml,
      entry.attempts,
      entry.createdAt,
      entry.nextAttemptAt,
    );
  }

  async remove(account: string, id: string): Promise<boolean> {
    return changed(this.#remove.run(account, id));
  }

  async list(account: string): Promise<OutboxEntry[]> {
    return this.#list.all(account).map(toEntry);
  }

  async update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    const values: SQLInputValue[] = [
      changes.stanzaXml ?? null,
      changes.attempts ?? null,
      changes.nextAttemptAt ?? null,
    ];
    return changed(this.#update.run(...values, account, id));
  }
}

class SqliteAccountStore implements AccountStore {
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #put: StatementSync;
  readonly #remove: StatementSync;

  constructor(db: DatabaseSync) {
    this.#get = db.prepare('SELECT * FROM accounts WHERE jid = ?');
    this.#list = db.prepare('SELECT * FROM accounts ORDER BY jid');
    this.#put = db.prepare(
      `INSERT INTO accounts (jid, service, password, resource, mam_last_stanza_id)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (jid) DO UPDATE SET service = excluded.service, password = excluded.password,
         resource = excluded.resource, mam_last_stanza_id = excluded.mam_last_stanza_id`,
    );
    this.#remove = db.prepare('DELETE FROM accounts WHERE jid = ?');
  }

  async get(jid: string): Promise<StoredAccount | undefined> {
    const row = this.#get.get(jid);
    return row && toAccount(row);
  }

  async list(): Promise<StoredAccount[]> {
    return this.#list.all().map(toAccount);
  }

  async put(account: StoredAccount): Promise<void> {
    this.#put.run(
      account.jid,
      account.service,
      account.password ?? null,
      account.resource,
      account.mamLastStanzaId ?? null,
    );
  }

  async remove(jid: string): Promise<boolean> {
    return changed(this.#remove.run(jid));
  }
}

class SqliteOmemoStore implements OmemoStore {
  readonly #db: DatabaseSync;
  readonly #getIdentity: StatementSync;
  readonly #putIdentity: StatementSync;
  readonly #getPreKey: StatementSync;
  readonly #putPreKey: StatementSync;
  readonly #removePreKey: StatementSync;
  readonly #listPreKeys: StatementSync;
  readonly #getSignedPreKey: StatementSync;
  readonly #putSignedPreKey: StatementSync;
  readonly #removeSignedPreKey: StatementSync;
  readonly #listSignedPreKeys: StatementSync;
  readonly #getSession: StatementSync;
  readonly #putSession: StatementSync;
  readonly #removeSession: StatementSync;
  readonly #getDevice: StatementSync;
  readonly #putDevice: StatementSync;
  readonly #listDevices: StatementSync;
  readonly #listDevicesOf: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#getIdentity = db.prepare('SELECT * FROM omemo_identities WHERE account = ?');
    this.#putIdentity = db.prepare(
      `INSERT INTO omemo_identities (account, device_id, registration_id, public_key, private_key,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account) DO UPDATE SET device_id = excluded.device_id,
         registration_id = excluded.registration_id, public_key = excluded.public_key,
         private_key = excluded.private_key, created_at = excluded.created_at`,
    );
    this.#getPreKey = db.prepare('SELECT * FROM omemo_prekeys WHERE account = ? AND key_id = ?');
    this.#putPreKey = db.prepare(
      `INSERT INTO omemo_prekeys (account, key_id, public_key, private_key) VALUES (?, ?, ?, ?)
       ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
         private_key = excluded.private_key`,
    );
    this.#removePreKey = db.prepare('DELETE FROM omemo_prekeys WHERE account = ? AND key_id = ?');
    this.#listPreKeys = db.prepare('SELECT * FROM omemo_prekeys WHERE account = ? ORDER BY key_id');
    this.#getSignedPreKey = db.prepare(
      'SELECT * FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?',
    );
    this.#putSignedPreKey = db.prepare(
      `INSERT INTO omemo_signed_prekeys (account, key_id, public_key, private_key, signature,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
         private_key = excluded.private_key, signature = excluded.signature,
         created_at = excluded.created_at`,
    );
    this.#removeSignedPreKey = db.prepare(
      'DELETE FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?',
    );
    this.#listSignedPreKeys = db.prepare(
      'SELECT * FROM omemo_signed_prekeys WHERE account = ? ORDER BY created_at, key_id',
    );
    this.#getSession = db.prepare(
      'SELECT record FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
    );
    this.#putSession = db.prepare(
      `INSERT INTO omemo_sessions (account, jid, device_id, record) VALUES (?, ?, ?, ?)
       ON CONFLICT (account, jid, device_id) DO UPDATE SET record = excluded.record`,
    );
    this.#removeSession = db.prepare(
      'DELETE FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
    );
    this.#getDevice = db.prepare(
      'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? AND device_id = ?',
    );
    this.#putDevice = db.prepare(
      `INSERT INTO omemo_devices (account, jid, device_id, identity_key, trust, active, first_seen,
         last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, jid, device_id) DO UPDATE SET identity_key = excluded.identity_key,
         trust = excluded.trust, active = excluded.active, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen`,
    );
    this.#listDevices = db.prepare(
      'SELECT * FROM omemo_devices WHERE account = ? ORDER BY jid, device_id',
    );
    this.#listDevicesOf = db.prepare(
      'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? ORDER BY device_id',
    );
  }

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const row = this.#getIdentity.get(account);
    return row && toIdentity(row);
  }

  async putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    this.#putIdentity.run(
      account,
      identity.deviceId,
      identity.registrationId,
      identity.publicKey,
      identity.privateKey,
      identity.createdAt,
    );
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const row = this.#getPreKey.get(account, keyId);
    return row && toPreKey(row);
  }

  async putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    // One transaction: a crash never keeps half a batch, and one commit (one fsync) serves all keys.
    transaction(this.#db, () => {
      for (const preKey of preKeys) {
        this.#putPreKey.run(account, preKey.keyId, preKey.publicKey, preKey.privateKey);
      }
    });
  }

  async removePreKey(account: string, keyId: number): Promise<boolean> {
    return changed(this.#removePreKey.run(account, keyId));
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    return this.#listPreKeys.all(account).map(toPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const row = this.#getSignedPreKey.get(account, keyId);
    return row && toSignedPreKey(row);
  }

  async putSignedPreKey(account: string, signedPreKey: OmemoSignedPreKey): Promise<void> {
    this.#putSignedPreKey.run(
      account,
      signedPreKey.keyId,
      signedPreKey.publicKey,
      signedPreKey.privateKey,
      signedPreKey.signature,
      signedPreKey.createdAt,
    );
  }

  async removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return changed(this.#removeSignedPreKey.run(account, keyId));
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    return this.#listSignedPreKeys.all(account).map(toSignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    const row = this.#getSession.get(account, jid, deviceId);
    return row && text(row, 'record');
  }

  async putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    this.#putSession.run(account, jid, deviceId, record);
  }

  async removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return changed(this.#removeSession.run(account, jid, deviceId));
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const row = this.#getDevice.get(account, jid, deviceId);
    return row && toDevice(row);
  }

  async putDevice(account: string, device: OmemoDevice): Promise<void> {
    this.#putDevice.run(
      account,
      device.jid,
      device.deviceId,
      device.identityKey ?? null,
      device.trust,
      device.active ? 1 : 0,
      device.firstSeen,
      device.lastSeen,
    );
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    const rows =
      jid === undefined ? this.#listDevices.all(account) : this.#listDevicesOf.all(account, jid);
    return rows.map(toDevice);
  }
}

class SqliteUploadStore implements UploadStore {
  readonly #put: StatementSync;
  readonly #get: StatementSync;
  readonly #remove: StatementSync;
  readonly #list: StatementSync;

  constructor(db: DatabaseSync) {
    this.#put = db.prepare(
      `INSERT INTO pending_uploads (id, account, peer, ciphertext, key, iv, created_at, attempts,
         url)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, id) DO UPDATE SET peer = excluded.peer,
         ciphertext = excluded.ciphertext, key = excluded.key, iv = excluded.iv,
         created_at = excluded.created_at, attempts = excluded.attempts, url = excluded.url`,
    );
    this.#get = db.prepare('SELECT * FROM pending_uploads WHERE account = ? AND id = ?');
    this.#remove = db.prepare('DELETE FROM pending_uploads WHERE account = ? AND id = ?');
    this.#list = db.prepare(
      'SELECT * FROM pending_uploads WHERE account = ? ORDER BY created_at, seq',
    );
  }

  async put(upload: PendingUpload): Promise<void> {
    this.#put.run(
      upload.id,
      upload.account,
      upload.peer,
      upload.ciphertext,
      upload.key,
      upload.iv,
      upload.createdAt,
      upload.attempts,
      upload.url ?? null,
    );
  }

  async get(account: string, id: string): Promise<PendingUpload | undefined> {
    const row = this.#get.get(account, id);
    return row && toUpload(row);
  }

  async remove(account: string, id: string): Promise<boolean> {
    return changed(this.#remove.run(account, id));
  }

  async list(account: string): Promise<PendingUpload[]> {
    return this.#list.all(account).map(toUpload);
  }
}

/**
 * Opens (creating if needed) the storage in the SQLite file at `path` and brings its schema up to
 * date. A new file is created readable by its owner only (0600): it holds messages, OMEMO private
 * keys and, for the CLI, the account password; SQLite gives its -wal and -shm files the same mode.
 */
export async function openSqliteStorage(path: string): Promise<Storage> {
  if (path !== ':memory:') {
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const db = new DatabaseSync(path);
  try {
    // WAL: readers do not block the writer, and a commit is one append. synchronous stays at its
    // FULL default, so a committed outbox entry survives a power cut, as "persisted before
    // sending" requires.
    db.exec('PRAGMA journal_mode = WAL');
    // Wait for another process's write lock (a second CLI invocation) instead of failing at once.
    db.exec('PRAGMA busy_timeout = 5000');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    accounts: new SqliteAccountStore(db),
    messages: new SqliteMessageStore(db),
    outbox: new SqliteOutboxStore(db),
    omemo: new SqliteOmemoStore(db),
    uploads: new SqliteUploadStore(db),
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}
