// Hush storage on an asynchronous SQLite connection: expo-sqlite on iOS and Android (sqlite.native.ts),
// node:sqlite in the tests (sql.test.ts runs core's storage contract through it). Same schema and
// queries as @hush/storage-node.
//
// The connection is asynchronous, so two calls could interleave their statements (a read between
// another call's check and write). Every method therefore runs under one queue: calls take turns, and
// multi-statement writes are also one SQL transaction, so a crash never leaves half of one.
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
import { migrations } from './sql-schema.ts';

export type SqlValue = string | number | null | Uint8Array;
export type Row = Record<string, unknown>;

/** The few calls of an SQLite connection this needs; expo-sqlite's async API has them all. */
export interface SqlConnection {
  exec(sql: string): Promise<void>;
  run(sql: string, params: readonly SqlValue[]): Promise<{ changes: number }>;
  all(sql: string, params: readonly SqlValue[]): Promise<Row[]>;
  close(): Promise<void>;
}

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
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') throw new TypeError(`storage: ${column} is not a number`);
  return value;
}

function bytes(row: Row, column: string): Uint8Array {
  const value = row[column];
  if (!(value instanceof Uint8Array)) throw new TypeError(`storage: ${column} is not a blob`);
  return new Uint8Array(value);
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

function toPreKey(row: Row): OmemoPreKey {
  return {
    keyId: numeric(row, 'key_id'),
    publicKey: bytes(row, 'public_key'),
    privateKey: bytes(row, 'private_key'),
  };
}

function toDevice(row: Row): OmemoDevice {
  const key = row.identity_key;
  return {
    jid: text(row, 'jid'),
    deviceId: numeric(row, 'device_id'),
    ...(key !== null && key !== undefined && { identityKey: bytes(row, 'identity_key') }),
    trust: text(row, 'trust') as OmemoTrust,
    active: numeric(row, 'active') !== 0,
    firstSeen: numeric(row, 'first_seen'),
    lastSeen: numeric(row, 'last_seen'),
  };
}

/** One connection, one queue: see the header. */
class Queue {
  readonly db: SqlConnection;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(db: SqlConnection) {
    this.db = db;
  }

  turn<T>(work: (db: SqlConnection) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => work(this.db));
    this.tail = result.catch(() => undefined);
    return result;
  }

  transaction<T>(work: (db: SqlConnection) => Promise<T>): Promise<T> {
    return this.turn(async (db) => {
      await db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(db);
        await db.exec('COMMIT');
        return result;
      } catch (error) {
        await db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async first(sql: string, params: readonly SqlValue[]): Promise<Row | undefined> {
    return this.turn(async (db) => (await db.all(sql, params))[0]);
  }
}

const first = async (db: SqlConnection, sql: string, params: readonly SqlValue[]) =>
  (await db.all(sql, params))[0];

const readable = statesFor('in').filter((s) => canTransition('in', s, 'read'));

class SqlMessageStore implements MessageStore {
  private readonly q: Queue;

  constructor(q: Queue) {
    this.q = q;
  }

  add(message: StoredMessage): Promise<AddResult> {
    return this.q.transaction(async (db) => {
      const existing =
        (await first(db, 'SELECT * FROM messages WHERE account = ? AND id = ?', [
          message.account,
          message.id,
        ])) ??
        (message.stanzaId === undefined
          ? undefined
          : await first(db, 'SELECT * FROM messages WHERE account = ? AND stanza_id = ?', [
              message.account,
              message.stanzaId,
            ])) ??
        (message.originId === undefined
          ? undefined
          : await first(
              db,
              'SELECT * FROM messages WHERE account = ? AND peer = ? AND origin_id = ?',
              [message.account, message.peer, message.originId],
            ));
      if (existing) {
        const id = text(existing, 'id');
        if (existing.stanza_id === null && message.stanzaId !== undefined) {
          await trySetStanzaId(db, message.account, id, message.stanzaId);
        }
        const stored = await first(db, 'SELECT * FROM messages WHERE account = ? AND id = ?', [
          message.account,
          id,
        ]);
        return { stored: toMessage(stored ?? existing), duplicate: true };
      }
      await db.run(
        `INSERT INTO messages (id, account, peer, direction, body, timestamp, origin_id, stanza_id,
           state, failure_code, failure_message, encrypted)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
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
        ],
      );
      const stored = await first(db, 'SELECT * FROM messages WHERE account = ? AND id = ?', [
        message.account,
        message.id,
      ]);
      if (!stored) throw new Error('storage: an inserted message is missing');
      return { stored: toMessage(stored), duplicate: false };
    });
  }

  async get(account: string, id: string): Promise<StoredMessage | undefined> {
    const row = await this.q.first('SELECT * FROM messages WHERE account = ? AND id = ?', [
      account,
      id,
    ]);
    return row && toMessage(row);
  }

  async findByOriginId(
    account: string,
    peer: string,
    originId: string,
  ): Promise<StoredMessage | undefined> {
    const row = await this.q.first(
      'SELECT * FROM messages WHERE account = ? AND peer = ? AND origin_id = ?',
      [account, peer, originId],
    );
    return row && toMessage(row);
  }

  async findByStanzaId(account: string, stanzaId: string): Promise<StoredMessage | undefined> {
    const row = await this.q.first('SELECT * FROM messages WHERE account = ? AND stanza_id = ?', [
      account,
      stanzaId,
    ]);
    return row && toMessage(row);
  }

  updateState(
    account: string,
    id: string,
    state: MessageState,
    failure?: MessageFailure,
  ): Promise<boolean> {
    return this.q.transaction(async (db) => {
      const row = await first(db, 'SELECT * FROM messages WHERE account = ? AND id = ?', [
        account,
        id,
      ]);
      if (!row) return false;
      const message = toMessage(row);
      if (!canTransition(message.direction, message.state, state)) return false;
      const next = failureAfter(message.state, message.failure, failure);
      await db.run(
        `UPDATE messages SET state = ?, failure_code = ?, failure_message = ?
         WHERE account = ? AND id = ?`,
        [state, next?.code ?? null, next?.message ?? null, account, id],
      );
      return true;
    });
  }

  setStanzaId(account: string, id: string, stanzaId: string): Promise<boolean> {
    return this.q.transaction((db) => trySetStanzaId(db, account, id, stanzaId));
  }

  history(account: string, peer: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(query.limit);
    // SQLite reads a negative LIMIT as "no limit".
    if (!(limit > 0)) return Promise.resolve([]);
    const page = (where: string) =>
      `SELECT * FROM messages WHERE account = ? AND peer = ? ${where}
       ORDER BY timestamp DESC, seq DESC LIMIT ?`;
    return this.q.turn(async (db) => {
      const cursor =
        query.beforeId === undefined
          ? undefined
          : await first(
              db,
              'SELECT timestamp, seq FROM messages WHERE account = ? AND peer = ? AND id = ?',
              [account, peer, query.beforeId],
            );
      let rows: Row[];
      if (cursor) {
        const timestamp = numeric(cursor, 'timestamp');
        rows = await db.all(page('AND (timestamp < ? OR (timestamp = ? AND seq < ?))'), [
          account,
          peer,
          timestamp,
          timestamp,
          numeric(cursor, 'seq'),
          limit,
        ]);
      } else if (query.before !== undefined) {
        rows = await db.all(page('AND timestamp < ?'), [account, peer, query.before, limit]);
      } else {
        rows = await db.all(page(''), [account, peer, limit]);
      }
      return rows.reverse().map(toMessage);
    });
  }

  async conversations(account: string): Promise<Conversation[]> {
    const rows = await this.q.turn((db) =>
      db.all(
        `SELECT m.*, c.unread AS conversation_unread
         FROM (SELECT peer,
                 SUM(direction = 'in' AND state <> 'read') AS unread,
                 (SELECT seq FROM messages l WHERE l.account = g.account AND l.peer = g.peer
                  ORDER BY timestamp DESC, seq DESC LIMIT 1) AS last_seq
               FROM messages g WHERE account = ? GROUP BY peer) c
         JOIN messages m ON m.seq = c.last_seq
         ORDER BY m.timestamp DESC, m.seq DESC`,
        [account],
      ),
    );
    return rows.map((row) => ({
      peer: text(row, 'peer'),
      lastMessage: toMessage(row),
      unread: numeric(row, 'conversation_unread'),
    }));
  }

  async markRead(account: string, peer: string, upToTimestamp: number): Promise<number> {
    const result = await this.q.turn((db) =>
      db.run(
        `UPDATE messages SET state = 'read'
         WHERE account = ? AND peer = ? AND direction = 'in' AND timestamp <= ?
           AND state IN (${readable.map(() => '?').join(', ')})`,
        [account, peer, upToTimestamp, ...readable],
      ),
    );
    return result.changes;
  }
}

async function trySetStanzaId(
  db: SqlConnection,
  account: string,
  id: string,
  stanzaId: string,
): Promise<boolean> {
  if (
    await first(db, 'SELECT 1 FROM messages WHERE account = ? AND stanza_id = ?', [
      account,
      stanzaId,
    ])
  )
    return false;
  const result = await db.run(
    'UPDATE messages SET stanza_id = ? WHERE account = ? AND id = ? AND stanza_id IS NULL',
    [stanzaId, account, id],
  );
  return result.changes > 0;
}

class SqlOutboxStore implements OutboxStore {
  private readonly q: Queue;

  constructor(q: Queue) {
    this.q = q;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.q.turn((db) =>
      db.run(
        `INSERT INTO outbox (id, account, message_id, stanza_xml, attempts, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, id) DO UPDATE SET message_id = excluded.message_id,
           stanza_xml = excluded.stanza_xml, attempts = excluded.attempts,
           created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`,
        [
          entry.id,
          entry.account,
          entry.messageId,
          entry.stanzaXml,
          entry.attempts,
          entry.createdAt,
          entry.nextAttemptAt,
        ],
      ),
    );
  }

  async remove(account: string, id: string): Promise<boolean> {
    const result = await this.q.turn((db) =>
      db.run('DELETE FROM outbox WHERE account = ? AND id = ?', [account, id]),
    );
    return result.changes > 0;
  }

  async list(account: string): Promise<OutboxEntry[]> {
    const rows = await this.q.turn((db) =>
      db.all('SELECT * FROM outbox WHERE account = ? ORDER BY created_at, seq', [account]),
    );
    return rows.map(toEntry);
  }

  async update(account: string, id: string, changes: OutboxChanges): Promise<boolean> {
    const result = await this.q.turn((db) =>
      db.run(
        `UPDATE outbox SET stanza_xml = COALESCE(?, stanza_xml), attempts = COALESCE(?, attempts),
           next_attempt_at = COALESCE(?, next_attempt_at)
         WHERE account = ? AND id = ?`,
        [
          changes.stanzaXml ?? null,
          changes.attempts ?? null,
          changes.nextAttemptAt ?? null,
          account,
          id,
        ],
      ),
    );
    return result.changes > 0;
  }
}

class SqlAccountStore implements AccountStore {
  private readonly q: Queue;

  constructor(q: Queue) {
    this.q = q;
  }

  async get(jid: string): Promise<StoredAccount | undefined> {
    const row = await this.q.first('SELECT * FROM accounts WHERE jid = ?', [jid]);
    return row && toAccount(row);
  }

  async list(): Promise<StoredAccount[]> {
    const rows = await this.q.turn((db) => db.all('SELECT * FROM accounts ORDER BY jid', []));
    return rows.map(toAccount);
  }

  async put(account: StoredAccount): Promise<void> {
    await this.q.turn((db) =>
      db.run(
        `INSERT INTO accounts (jid, service, password, resource, mam_last_stanza_id)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (jid) DO UPDATE SET service = excluded.service, password = excluded.password,
           resource = excluded.resource, mam_last_stanza_id = excluded.mam_last_stanza_id`,
        [
          account.jid,
          account.service,
          account.password ?? null,
          account.resource,
          account.mamLastStanzaId ?? null,
        ],
      ),
    );
  }

  async remove(jid: string): Promise<boolean> {
    const result = await this.q.turn((db) => db.run('DELETE FROM accounts WHERE jid = ?', [jid]));
    return result.changes > 0;
  }
}

class SqlOmemoStore implements OmemoStore {
  private readonly q: Queue;

  constructor(q: Queue) {
    this.q = q;
  }

  private async changed(sql: string, params: readonly SqlValue[]): Promise<boolean> {
    return (await this.q.turn((db) => db.run(sql, params))).changes > 0;
  }

  private async write(sql: string, params: readonly SqlValue[]): Promise<void> {
    await this.q.turn((db) => db.run(sql, params));
  }

  private rows(sql: string, params: readonly SqlValue[]): Promise<Row[]> {
    return this.q.turn((db) => db.all(sql, params));
  }

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const row = await this.q.first('SELECT * FROM omemo_identities WHERE account = ?', [account]);
    return (
      row && {
        deviceId: numeric(row, 'device_id'),
        registrationId: numeric(row, 'registration_id'),
        publicKey: bytes(row, 'public_key'),
        privateKey: bytes(row, 'private_key'),
        createdAt: numeric(row, 'created_at'),
      }
    );
  }

  putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    return this.write(
      `INSERT INTO omemo_identities (account, device_id, registration_id, public_key, private_key,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account) DO UPDATE SET device_id = excluded.device_id,
         registration_id = excluded.registration_id, public_key = excluded.public_key,
         private_key = excluded.private_key, created_at = excluded.created_at`,
      [
        account,
        identity.deviceId,
        identity.registrationId,
        identity.publicKey,
        identity.privateKey,
        identity.createdAt,
      ],
    );
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const row = await this.q.first('SELECT * FROM omemo_prekeys WHERE account = ? AND key_id = ?', [
      account,
      keyId,
    ]);
    return row && toPreKey(row);
  }

  async putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    // One transaction: a crash never keeps half a batch, and one commit serves all keys.
    await this.q.transaction(async (db) => {
      for (const preKey of preKeys) {
        await db.run(
          `INSERT INTO omemo_prekeys (account, key_id, public_key, private_key) VALUES (?, ?, ?, ?)
           ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
             private_key = excluded.private_key`,
          [account, preKey.keyId, preKey.publicKey, preKey.privateKey],
        );
      }
    });
  }

  removePreKey(account: string, keyId: number): Promise<boolean> {
    return this.changed('DELETE FROM omemo_prekeys WHERE account = ? AND key_id = ?', [
      account,
      keyId,
    ]);
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    return (
      await this.rows('SELECT * FROM omemo_prekeys WHERE account = ? ORDER BY key_id', [account])
    ).map(toPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const row = await this.q.first(
      'SELECT * FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?',
      [account, keyId],
    );
    return row && toSignedPreKey(row);
  }

  putSignedPreKey(account: string, key: OmemoSignedPreKey): Promise<void> {
    return this.write(
      `INSERT INTO omemo_signed_prekeys (account, key_id, public_key, private_key, signature,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
         private_key = excluded.private_key, signature = excluded.signature,
         created_at = excluded.created_at`,
      [account, key.keyId, key.publicKey, key.privateKey, key.signature, key.createdAt],
    );
  }

  removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return this.changed('DELETE FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?', [
      account,
      keyId,
    ]);
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    return (
      await this.rows(
        'SELECT * FROM omemo_signed_prekeys WHERE account = ? ORDER BY created_at, key_id',
        [account],
      )
    ).map(toSignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    const row = await this.q.first(
      'SELECT record FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
    return row && text(row, 'record');
  }

  putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    return this.write(
      `INSERT INTO omemo_sessions (account, jid, device_id, record) VALUES (?, ?, ?, ?)
       ON CONFLICT (account, jid, device_id) DO UPDATE SET record = excluded.record`,
      [account, jid, deviceId, record],
    );
  }

  removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return this.changed(
      'DELETE FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const row = await this.q.first(
      'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
    return row && toDevice(row);
  }

  putDevice(account: string, device: OmemoDevice): Promise<void> {
    return this.write(
      `INSERT INTO omemo_devices (account, jid, device_id, identity_key, trust, active, first_seen,
         last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, jid, device_id) DO UPDATE SET identity_key = excluded.identity_key,
         trust = excluded.trust, active = excluded.active, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen`,
      [
        account,
        device.jid,
        device.deviceId,
        device.identityKey ?? null,
        device.trust,
        device.active ? 1 : 0,
        device.firstSeen,
        device.lastSeen,
      ],
    );
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    const rows =
      jid === undefined
        ? await this.rows('SELECT * FROM omemo_devices WHERE account = ? ORDER BY jid, device_id', [
            account,
          ])
        : await this.rows(
            'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? ORDER BY device_id',
            [account, jid],
          );
    return rows.map(toDevice);
  }
}

function toSignedPreKey(row: Row): OmemoSignedPreKey {
  return {
    ...toPreKey(row),
    signature: bytes(row, 'signature'),
    createdAt: numeric(row, 'created_at'),
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

class SqlUploadStore implements UploadStore {
  private readonly q: Queue;

  constructor(q: Queue) {
    this.q = q;
  }

  async put(upload: PendingUpload): Promise<void> {
    await this.q.turn((db) =>
      db.run(
        `INSERT INTO pending_uploads (id, account, peer, ciphertext, key, iv, created_at, attempts,
           url)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, id) DO UPDATE SET peer = excluded.peer,
           ciphertext = excluded.ciphertext, key = excluded.key, iv = excluded.iv,
           created_at = excluded.created_at, attempts = excluded.attempts, url = excluded.url`,
        [
          upload.id,
          upload.account,
          upload.peer,
          upload.ciphertext,
          upload.key,
          upload.iv,
          upload.createdAt,
          upload.attempts,
          upload.url ?? null,
        ],
      ),
    );
  }

  async get(account: string, id: string): Promise<PendingUpload | undefined> {
    const row = await this.q.first('SELECT * FROM pending_uploads WHERE account = ? AND id = ?', [
      account,
      id,
    ]);
    return row && toUpload(row);
  }

  async remove(account: string, id: string): Promise<boolean> {
    const result = await this.q.turn((db) =>
      db.run('DELETE FROM pending_uploads WHERE account = ? AND id = ?', [account, id]),
    );
    return result.changes > 0;
  }

  async list(account: string): Promise<PendingUpload[]> {
    const rows = await this.q.turn((db) =>
      db.all('SELECT * FROM pending_uploads WHERE account = ? ORDER BY created_at, seq', [account]),
    );
    return rows.map(toUpload);
  }
}

/** Brings the schema up to date in one transaction: a crash leaves the old version, never half. */
async function migrate(q: Queue): Promise<void> {
  await q.turn((db) =>
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    ),
  );
  await q.transaction(async (db) => {
    const row = await first(db, 'SELECT MAX(version) AS version FROM schema_version', []);
    const current = typeof row?.version === 'number' ? row.version : 0;
    for (let version = current + 1; version <= migrations.length; version++) {
      const sql = migrations[version - 1];
      if (sql === undefined) throw new RangeError(`no migration ${version}`);
      await db.exec(sql);
      await db.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [
        version,
        Date.now(),
      ]);
    }
  });
}

/** Storage on an open connection; migrates it first. */
export async function openSqlStorage(db: SqlConnection): Promise<Storage> {
  const q = new Queue(db);
  await migrate(q);
  return {
    accounts: new SqlAccountStore(q),
    messages: new SqlMessageStore(q),
    outbox: new SqlOutboxStore(q),
    omemo: new SqlOmemoStore(q),
    uploads: new SqlUploadStore(q),
    close: () => q.turn((connection) => connection.close()),
  };
}
