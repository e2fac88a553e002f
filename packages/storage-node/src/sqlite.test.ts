// SQLite storage: core's storage contract, plus what only a file can show — reopening, migrating an
// old schema, opening a newer one — and that it agrees with the memory backend on random histories.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import {
  createMemoryStorage,
  type MessageState,
  type OmemoDevice,
  type OmemoTrust,
  type PendingUpload,
  type Storage,
  type StoredMessage,
  type UploadChanges,
} from '@hush/core';
import {
  allMessages,
  collidingMessage,
  keylessOmemoDevice,
  message,
  omemoDevice,
  omemoIdentity,
  omemoPreKey,
  omemoSignedPreKey,
  pendingUpload,
  storageContract,
  testBytes,
} from '@hush/test-utils/storage-contract';
import { migrate, schemaVersion } from '@hush/core/storage/sql';
import { migrations } from '@hush/core/storage/sql-schema';
import { nodeSqlDriver, openSqliteStorage } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-storage-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `${++files}.sqlite`);

storageContract('sqlite storage', () => openSqliteStorage(freshFile()));

const alice = 'alice@hush.test';
const bob = 'bob@hush.test';
const carol = 'carol@hush.test';

/** Opens the file straight with node:sqlite, as another program (or an older Hush) would. */
async function inspect<T>(file: string, read: (db: DatabaseSync) => T | Promise<T>): Promise<T> {
  const db = new DatabaseSync(file);
  try {
    return await read(db);
  } finally {
    db.close();
  }
}

const versionOf = (db: DatabaseSync): Promise<number> => schemaVersion(nodeSqlDriver(db));
const migrateTo = (db: DatabaseSync, target: number): Promise<number> =>
  migrate(nodeSqlDriver(db), target);

const tables = (db: DatabaseSync): string[] =>
  db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => String(row.name));

const omemoTables = [
  'omemo_devices',
  'omemo_identities',
  'omemo_prekeys',
  'omemo_sessions',
  'omemo_signed_prekeys',
];

describe('sqlite storage: the file', () => {
  it('keeps everything across close and reopen', async () => {
    const file = freshFile();
    const account = {
      jid: alice,
      service: 'xmpps://hush.test:5223',
      resource: 'cli',
      password: 'pw',
    };
    const entry = {
      id: 'e1',
      account: alice,
      messageId: 'm1',
      stanzaXml: '<message id="e1"/>',
      attempts: 2,
      createdAt: 10,
    };
    const first = await openSqliteStorage(file);
    await first.accounts.put(account);
    await first.messages.add(message({ id: 'm1', direction: 'out', originId: 'o1', timestamp: 5 }));
    await first.messages.add(message({ id: 'm2', stanzaId: 's2', timestamp: 6, encrypted: false }));
    await first.messages.updateState(alice, 'm1', 'failed', { code: 'Timeout', message: 'late' });
    await first.outbox.put(entry);
    await first.close();
    await first.close(); // closing twice is harmless

    const second = await openSqliteStorage(file);
    try {
      assert.deepEqual(await second.accounts.get(alice), account);
      assert.deepEqual(await second.outbox.list(alice), [entry]);
      assert.deepEqual(await second.messages.history(alice, bob, { limit: 10 }), [
        message({
          id: 'm1',
          direction: 'out',
          originId: 'o1',
          timestamp: 5,
          state: 'failed',
          failure: { code: 'Timeout', message: 'late' },
        }),
        message({ id: 'm2', stanzaId: 's2', timestamp: 6, encrypted: false }),
      ]);
      assert.equal(
        (await second.messages.add(message({ id: 'x', stanzaId: 's2' }))).duplicate,
        true,
      );
    } finally {
      await second.close();
    }
    assert.equal(await inspect(file, versionOf), migrations.length);
  });

  it('keeps OMEMO keys, sessions and devices across close and reopen', async () => {
    const file = freshFile();
    const keyless = keylessOmemoDevice({ deviceId: 3, active: false });
    const devices: OmemoDevice[] = [
      omemoDevice({ jid: alice, deviceId: 8, trust: 'verified' }),
      omemoDevice({ deviceId: 2, trust: 'untrusted', identityKey: testBytes(9, 33) }),
      keyless,
    ];
    const first = await openSqliteStorage(file);
    await first.omemo.putIdentity(alice, omemoIdentity(2 ** 31 - 1));
    await first.omemo.putIdentity(carol, omemoIdentity(5));
    await first.omemo.putPreKeys(alice, [omemoPreKey(2), omemoPreKey(1), omemoPreKey(3)]);
    await first.omemo.removePreKey(alice, 2);
    await first.omemo.putSignedPreKey(alice, omemoSignedPreKey(1, 500));
    await first.omemo.putSignedPreKey(alice, omemoSignedPreKey(2, 100));
    await first.omemo.putSession(alice, bob, 2, '{"session":"bob-2"}');
    await first.omemo.putSession(carol, bob, 2, '{"session":"carol"}');
    for (const device of devices) await first.omemo.putDevice(alice, device);
    await first.close();

    const second = await openSqliteStorage(file);
    try {
      const { omemo } = second;
      assert.deepEqual(await omemo.getIdentity(alice), omemoIdentity(2 ** 31 - 1));
      assert.deepEqual(await omemo.getIdentity(carol), omemoIdentity(5));
      assert.deepEqual(await omemo.listPreKeys(alice), [omemoPreKey(1), omemoPreKey(3)]);
      assert.deepEqual(await omemo.listSignedPreKeys(alice), [
        omemoSignedPreKey(2, 100),
        omemoSignedPreKey(1, 500),
      ]);
      assert.equal(await omemo.getSession(alice, bob, 2), '{"session":"bob-2"}');
      assert.equal(await omemo.getSession(carol, bob, 2), '{"session":"carol"}');
      assert.deepEqual(await omemo.listDevices(alice), [devices[0], devices[1], keyless]);
      assert.deepEqual(await omemo.listDevices(carol), []);
    } finally {
      await second.close();
    }
  });

  it('keeps pending uploads across close and reopen', async () => {
    const file = freshFile();
    // A small Buffer is a view into Node's shared pool; only its own bytes may be stored.
    const pooled = Buffer.from(testBytes(3, 116));
    const waiting = { ...pendingUpload({ id: 'u2', createdAt: 50 }, 2), ciphertext: pooled };
    const uploaded = pendingUpload({
      id: 'u1',
      createdAt: 50,
      attempts: 2,
      url: 'https://x.test/f',
    });
    const first = await openSqliteStorage(file);
    await first.uploads.put(uploaded);
    await first.uploads.put(waiting);
    await first.uploads.put(pendingUpload({ id: 'gone', createdAt: 1 }));
    await first.uploads.put(pendingUpload({ id: 'u1', account: carol }, 7));
    await first.uploads.remove(alice, 'gone');
    await first.close();

    const second = await openSqliteStorage(file);
    try {
      const expected = { ...waiting, ciphertext: testBytes(3, 116) };
      assert.deepEqual(await second.uploads.list(alice), [uploaded, expected]);
      const got = await second.uploads.get(alice, 'u2');
      assert.equal(Object.getPrototypeOf(got?.ciphertext), Uint8Array.prototype);
      assert.deepEqual(got, expected);
      assert.deepEqual(await second.uploads.list(carol), [
        pendingUpload({ id: 'u1', account: carol }, 7),
      ]);
      // The order of putting survives too: a replace keeps its place, a new upload comes last.
      await second.uploads.put({ ...uploaded, attempts: 3 });
      await second.uploads.put(pendingUpload({ id: 'u0', createdAt: 50 }));
      assert.deepEqual(
        (await second.uploads.list(alice)).map((u) => [u.id, u.attempts]),
        [
          ['u1', 3],
          ['u2', 0],
          ['u0', 0],
        ],
      );
    } finally {
      await second.close();
    }
  });

  it('uses WAL and a file only its owner can read', async () => {
    const file = freshFile();
    await (await openSqliteStorage(file)).close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const mode = await inspect(file, (db) => db.prepare('PRAGMA journal_mode').get()?.journal_mode);
    assert.equal(mode, 'wal');
  });

  it('migrates a database created at schema version 1', async () => {
    const file = freshFile();
    await inspect(file, async (db) => {
      assert.equal(await migrateTo(db, 1), 1);
      db.prepare('INSERT INTO accounts (jid, service, resource) VALUES (?, ?, ?)').run(
        alice,
        'wss://hush.test/xmpp-websocket',
        'app',
      );
      db.prepare(
        `INSERT INTO messages (id, account, peer, direction, body, timestamp, origin_id, state,
           encrypted) VALUES ('old', ?, ?, 'in', 'from v1', 42, 'o-old', 'received', 1)`,
      ).run(alice, bob);
    });
    const storage = await openSqliteStorage(file);
    try {
      const account = { jid: alice, service: 'wss://hush.test/xmpp-websocket', resource: 'app' };
      assert.deepEqual(await storage.accounts.get(alice), account);
      const old = message({ id: 'old', body: 'from v1', timestamp: 42, originId: 'o-old' });
      assert.deepEqual(await storage.messages.get(alice, 'old'), old);
      assert.equal(
        (await storage.messages.add(message({ id: 'n', originId: 'o-old' }))).duplicate,
        true,
      );
      await storage.accounts.put({ ...account, mamLastStanzaId: 'arch-7' });
      assert.equal((await storage.accounts.get(alice))?.mamLastStanzaId, 'arch-7');
      await storage.outbox.put({
        id: 'e',
        account: alice,
        messageId: 'n',
        stanzaXml: '<message/>',
        attempts: 0,
        createdAt: 1,
      });
      assert.equal((await storage.outbox.list(alice)).length, 1);
    } finally {
      await storage.close();
    }
    assert.equal(await inspect(file, versionOf), migrations.length);
  });

  it('adds the OMEMO tables to a database created at schema version 2', async () => {
    const file = freshFile();
    const account = { jid: alice, service: 'xmpps://hush.test:5223', resource: 'cli' };
    await inspect(file, async (db) => {
      assert.equal(await migrateTo(db, 2), 2);
      assert.deepEqual(
        tables(db).filter((t) => t.startsWith('omemo_')),
        [],
      );
      db.prepare(
        'INSERT INTO accounts (jid, service, resource, mam_last_stanza_id) VALUES (?, ?, ?, ?)',
      ).run(account.jid, account.service, account.resource, 'arch-2');
      db.prepare(
        `INSERT INTO messages (id, account, peer, direction, body, timestamp, state, encrypted)
         VALUES ('old', ?, ?, 'in', 'from v2', 42, 'received', 1)`,
      ).run(alice, bob);
      db.prepare(
        `INSERT INTO outbox (id, account, message_id, stanza_xml, attempts, created_at,
           next_attempt_at) VALUES ('e', ?, 'old', '<message/>', 1, 2, 3)`,
      ).run(alice);
    });
    const storage = await openSqliteStorage(file);
    try {
      assert.deepEqual(await storage.accounts.get(alice), {
        ...account,
        mamLastStanzaId: 'arch-2',
      });
      assert.deepEqual(
        await storage.messages.get(alice, 'old'),
        message({ id: 'old', body: 'from v2', timestamp: 42 }),
      );
      assert.equal((await storage.outbox.list(alice))[0]?.attempts, 1);
      assert.equal(await storage.omemo.getIdentity(alice), undefined);
      await storage.omemo.putIdentity(alice, omemoIdentity(1));
      await storage.omemo.putPreKeys(alice, [omemoPreKey(1)]);
      await storage.omemo.putSignedPreKey(alice, omemoSignedPreKey(1, 1));
      await storage.omemo.putSession(alice, bob, 1, 'record');
      await storage.omemo.putDevice(alice, omemoDevice({ deviceId: 1 }));
      assert.deepEqual(await storage.omemo.getIdentity(alice), omemoIdentity(1));
      assert.deepEqual(await storage.omemo.listDevices(alice), [omemoDevice({ deviceId: 1 })]);
    } finally {
      await storage.close();
    }
    await inspect(file, async (db) => {
      assert.equal(await versionOf(db), migrations.length);
      const present = tables(db);
      assert.deepEqual(
        omemoTables.filter((t) => !present.includes(t)),
        [],
        'missing tables',
      );
    });
  });

  it('adds the pending_uploads table to a database created at schema version 3', async () => {
    const file = freshFile();
    await inspect(file, async (db) => {
      assert.equal(await migrateTo(db, 3), 3);
      assert.equal(tables(db).includes('pending_uploads'), false);
      db.prepare(
        `INSERT INTO outbox (id, account, message_id, stanza_xml, attempts, created_at,
           next_attempt_at) VALUES ('e', ?, 'm', '<message/>', 0, 2, 3)`,
      ).run(alice);
      db.prepare(
        `INSERT INTO omemo_identities (account, device_id, registration_id, public_key,
           private_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        alice,
        omemoIdentity(1).deviceId,
        omemoIdentity(1).registrationId,
        omemoIdentity(1).publicKey,
        omemoIdentity(1).privateKey,
        omemoIdentity(1).createdAt,
      );
    });
    const storage = await openSqliteStorage(file);
    try {
      assert.equal((await storage.outbox.list(alice))[0]?.attempts, 0);
      assert.deepEqual(await storage.omemo.getIdentity(alice), omemoIdentity(1));
      assert.deepEqual(await storage.uploads.list(alice), []);
      await storage.uploads.put(pendingUpload({ id: 'u' }));
      assert.deepEqual(await storage.uploads.get(alice, 'u'), pendingUpload({ id: 'u' }));
    } finally {
      await storage.close();
    }
    await inspect(file, async (db) => {
      assert.equal(await versionOf(db), migrations.length);
      assert.equal(tables(db).includes('pending_uploads'), true);
    });
  });

  it('opens a database from a newer version and keeps what it does not know', async () => {
    const file = freshFile();
    const account = { jid: alice, service: 'wss://hush.test/xmpp-websocket', resource: 'app' };
    const first = await openSqliteStorage(file);
    await first.accounts.put(account);
    await first.messages.add(message({ id: 'm1' }));
    await first.outbox.put({
      id: 'e',
      account: alice,
      messageId: 'm1',
      stanzaXml: '<message/>',
      attempts: 0,
      createdAt: 1,
    });
    await first.omemo.putDevice(alice, omemoDevice({ deviceId: 1 }));
    await first.omemo.putSession(alice, bob, 1, 'record');
    await first.uploads.put(pendingUpload({ id: 'u' }));
    await first.close();
    const future = migrations.length + 5;
    await inspect(file, (db) => {
      // What a later Hush might have added under the rules in core's sql-schema.ts.
      db.exec(`ALTER TABLE accounts ADD COLUMN avatar TEXT;
        ALTER TABLE messages ADD COLUMN reaction TEXT;
        ALTER TABLE messages ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN priority INTEGER;
        ALTER TABLE omemo_devices ADD COLUMN label TEXT;
        ALTER TABLE omemo_sessions ADD COLUMN used_at INTEGER;
        ALTER TABLE pending_uploads ADD COLUMN note TEXT;
        CREATE TABLE contacts (jid TEXT PRIMARY KEY);
        UPDATE accounts SET avatar = 'avatar.png';
        UPDATE messages SET reaction = '👍';
        UPDATE outbox SET priority = 3;
        UPDATE omemo_devices SET label = 'phone';
        UPDATE omemo_sessions SET used_at = 77;
        UPDATE pending_uploads SET note = 'voice.ogg';`);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(future);
    });

    const storage = await openSqliteStorage(file);
    try {
      assert.deepEqual(await storage.accounts.get(alice), account);
      await storage.accounts.put({ ...account, mamLastStanzaId: 'arch-1' });
      assert.equal(
        (await storage.messages.add(message({ id: 'm2', timestamp: 2000 }))).duplicate,
        false,
      );
      assert.equal(await storage.messages.updateState(alice, 'm1', 'read'), true);
      assert.equal(await storage.messages.markRead(alice, bob, 5000), 1);
      assert.deepEqual(
        (await storage.messages.history(alice, bob, { limit: 5 })).map((m) => m.id),
        ['m1', 'm2'],
      );
      await storage.outbox.put({
        id: 'e',
        account: alice,
        messageId: 'm1',
        stanzaXml: '<message/>',
        attempts: 1,
        createdAt: 1,
      });
      assert.equal(await storage.outbox.update(alice, 'e', { attempts: 2 }), true);
      await storage.omemo.putDevice(alice, omemoDevice({ deviceId: 1, trust: 'verified' }));
      await storage.omemo.putSession(alice, bob, 1, 'ratcheted');
      assert.equal((await storage.omemo.getDevice(alice, bob, 1))?.trust, 'verified');
      await storage.uploads.put(pendingUpload({ id: 'u', attempts: 1, url: 'https://x.test/u' }));
      assert.equal((await storage.uploads.get(alice, 'u'))?.url, 'https://x.test/u');
    } finally {
      await storage.close();
    }
    await inspect(file, async (db) => {
      assert.equal(await versionOf(db), future, 'an older version never lowers the version');
      assert.equal(db.prepare('SELECT avatar FROM accounts').get()?.avatar, 'avatar.png');
      assert.equal(
        db.prepare("SELECT reaction FROM messages WHERE id = 'm1'").get()?.reaction,
        '👍',
      );
      assert.equal(db.prepare('SELECT priority FROM outbox').get()?.priority, 3);
      assert.equal(db.prepare('SELECT label FROM omemo_devices').get()?.label, 'phone');
      assert.equal(db.prepare('SELECT used_at FROM omemo_sessions').get()?.used_at, 77);
      assert.equal(db.prepare('SELECT note FROM pending_uploads').get()?.note, 'voice.ogg');
    });
  });
});

// Operations on a storage, drawn at random; ids come from small pools so they hit existing messages.
type Operation =
  | { kind: 'add'; message: StoredMessage }
  | { kind: 'updateState'; account: string; id: string; state: MessageState }
  | { kind: 'setStanzaId'; account: string; id: string; stanzaId: string }
  | { kind: 'markRead'; account: string; peer: string; upTo: number };

const accountPool = fc.constantFrom(alice, 'carol@hush.test');
const idPool = fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7');
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: collidingMessage.map((m) => ({ kind: 'add' as const, message: m })), weight: 4 },
  fc.record({
    kind: fc.constant('updateState' as const),
    account: accountPool,
    id: idPool,
    state: fc.constantFrom<MessageState>(
      'pending',
      'sent',
      'delivered',
      'read',
      'failed',
      'received',
      'undecryptable',
    ),
  }),
  fc.record({
    kind: fc.constant('setStanzaId' as const),
    account: accountPool,
    id: idPool,
    stanzaId: fc.constantFrom('s0', 's1', 's2', 's3', 's4'),
  }),
  fc.record({
    kind: fc.constant('markRead' as const),
    account: accountPool,
    peer: fc.constantFrom(alice, bob, 'carol@hush.test'),
    upTo: fc.integer({ min: 0, max: 20 }),
  }),
);

async function apply(storage: Storage, op: Operation): Promise<unknown> {
  switch (op.kind) {
    case 'add':
      return storage.messages.add(op.message);
    case 'updateState':
      return storage.messages.updateState(op.account, op.id, op.state, {
        code: 'Test',
        message: op.state,
      });
    case 'setStanzaId':
      return storage.messages.setStanzaId(op.account, op.id, op.stanzaId);
    case 'markRead':
      return storage.messages.markRead(op.account, op.peer, op.upTo);
  }
}

async function snapshot(storage: Storage): Promise<unknown> {
  const accounts = [alice, 'carol@hush.test'];
  return Promise.all(
    accounts.map(async (account) => ({
      messages: await allMessages(storage, account),
      conversations: await storage.messages.conversations(account),
      page: await storage.messages.history(account, bob, { limit: 3, before: 15 }),
    })),
  );
}

// OMEMO operations; key ids, device ids and creation times collide so that puts replace and
// orderings meet ties.
type OmemoOperation =
  | { kind: 'putIdentity'; account: string; deviceId: number; seed: number }
  | { kind: 'putPreKeys'; account: string; keys: { keyId: number; seed: number }[] }
  | { kind: 'removePreKey'; account: string; keyId: number }
  | { kind: 'putSignedPreKey'; account: string; keyId: number; createdAt: number; seed: number }
  | { kind: 'removeSignedPreKey'; account: string; keyId: number }
  | { kind: 'putSession'; account: string; jid: string; deviceId: number; record: string }
  | { kind: 'removeSession'; account: string; jid: string; deviceId: number }
  | { kind: 'putDevice'; account: string; device: OmemoDevice }
  | { kind: 'read'; account: string; jid: string; keyId: number; deviceId: number };

const jidPool = fc.constantFrom(alice, bob, carol);
const keyIdPool = fc.integer({ min: 1, max: 12 });
const deviceIdPool = fc.constantFrom(1, 2, 9, 10, 2 ** 31 - 1);
const seed = fc.nat({ max: 1000 });
const omemoOperation: fc.Arbitrary<OmemoOperation> = fc.oneof(
  fc.record({
    kind: fc.constant('putIdentity' as const),
    account: accountPool,
    deviceId: deviceIdPool,
    seed,
  }),
  fc.record({
    kind: fc.constant('putPreKeys' as const),
    account: accountPool,
    keys: fc.array(fc.record({ keyId: keyIdPool, seed }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('removePreKey' as const), account: accountPool, keyId: keyIdPool }),
  fc.record({
    kind: fc.constant('putSignedPreKey' as const),
    account: accountPool,
    keyId: keyIdPool,
    createdAt: fc.integer({ min: 0, max: 3 }),
    seed,
  }),
  fc.record({
    kind: fc.constant('removeSignedPreKey' as const),
    account: accountPool,
    keyId: keyIdPool,
  }),
  fc.record({
    kind: fc.constant('putSession' as const),
    account: accountPool,
    jid: jidPool,
    deviceId: deviceIdPool,
    record: fc.string({ maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('removeSession' as const),
    account: accountPool,
    jid: jidPool,
    deviceId: deviceIdPool,
  }),
  fc.record({
    kind: fc.constant('putDevice' as const),
    account: accountPool,
    device: fc.record(
      {
        jid: jidPool,
        deviceId: deviceIdPool,
        identityKey: fc.uint8Array({ maxLength: 33 }),
        trust: fc.constantFrom<OmemoTrust>('blind', 'verified', 'untrusted', 'distrusted'),
        active: fc.boolean(),
        firstSeen: fc.integer({ min: 0, max: 20 }),
        lastSeen: fc.integer({ min: 0, max: 20 }),
      },
      { requiredKeys: ['jid', 'deviceId', 'trust', 'active', 'firstSeen', 'lastSeen'] },
    ),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    account: accountPool,
    jid: jidPool,
    keyId: keyIdPool,
    deviceId: deviceIdPool,
  }),
);

async function applyOmemo({ omemo }: Storage, op: OmemoOperation): Promise<unknown> {
  switch (op.kind) {
    case 'putIdentity':
      return omemo.putIdentity(op.account, omemoIdentity(op.deviceId, op.seed));
    case 'putPreKeys':
      return omemo.putPreKeys(
        op.account,
        op.keys.map((k) => omemoPreKey(k.keyId, k.seed)),
      );
    case 'removePreKey':
      return omemo.removePreKey(op.account, op.keyId);
    case 'putSignedPreKey':
      return omemo.putSignedPreKey(op.account, omemoSignedPreKey(op.keyId, op.createdAt, op.seed));
    case 'removeSignedPreKey':
      return omemo.removeSignedPreKey(op.account, op.keyId);
    case 'putSession':
      return omemo.putSession(op.account, op.jid, op.deviceId, op.record);
    case 'removeSession':
      return omemo.removeSession(op.account, op.jid, op.deviceId);
    case 'putDevice':
      return omemo.putDevice(op.account, op.device);
    case 'read':
      return Promise.all([
        omemo.getIdentity(op.account),
        omemo.getPreKey(op.account, op.keyId),
        omemo.getSignedPreKey(op.account, op.keyId),
        omemo.getSession(op.account, op.jid, op.deviceId),
        omemo.getDevice(op.account, op.jid, op.deviceId),
        omemo.listDevices(op.account, op.jid),
      ]);
  }
}

async function omemoSnapshot({ omemo }: Storage): Promise<unknown> {
  return Promise.all(
    [alice, carol].map(async (account) => ({
      identity: await omemo.getIdentity(account),
      preKeys: await omemo.listPreKeys(account),
      signedPreKeys: await omemo.listSignedPreKeys(account),
      devices: await omemo.listDevices(account),
      // Sessions cannot be listed: read every one the operations could have made.
      sessions: await Promise.all(
        [alice, bob, carol].flatMap((jid) =>
          [1, 2, 9, 10, 2 ** 31 - 1].map((deviceId) => omemo.getSession(account, jid, deviceId)),
        ),
      ),
    })),
  );
}

// Upload operations; ids and creation times collide so that puts replace and the order meets ties.
type UploadOperation =
  | { kind: 'put'; upload: PendingUpload }
  | { kind: 'update'; account: string; id: string; changes: UploadChanges }
  | { kind: 'remove'; account: string; id: string }
  | { kind: 'get'; account: string; id: string };

const uploadIdPool = fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4');
const uploadOperation: fc.Arbitrary<UploadOperation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          account: accountPool,
          id: uploadIdPool,
          peer: jidPool,
          ciphertext: fc.uint8Array({ maxLength: 40 }),
          key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          iv: fc.uint8Array({ minLength: 12, maxLength: 12 }),
          createdAt: fc.integer({ min: 0, max: 3 }),
          attempts: fc.nat({ max: 5 }),
          url: fc.constantFrom('https://upload.hush.test/1', 'https://upload.hush.test/2'),
        },
        {
          requiredKeys: [
            'account',
            'id',
            'peer',
            'ciphertext',
            'key',
            'iv',
            'createdAt',
            'attempts',
          ],
        },
      )
      .map((upload) => ({ kind: 'put' as const, upload })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      account: accountPool,
      id: uploadIdPool,
      // Up to 300 attempts: the stored integer changes size at 2 and at 128.
      changes: fc.record(
        {
          attempts: fc.nat({ max: 300 }),
          url: fc.constantFrom('https://upload.hush.test/1', 'https://upload.hush.test/3'),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  fc.record({ kind: fc.constant('remove' as const), account: accountPool, id: uploadIdPool }),
  fc.record({ kind: fc.constant('get' as const), account: accountPool, id: uploadIdPool }),
);

async function applyUpload({ uploads }: Storage, op: UploadOperation): Promise<unknown> {
  switch (op.kind) {
    case 'put':
      return uploads.put(op.upload);
    case 'update':
      return uploads.update(op.account, op.id, op.changes);
    case 'remove':
      return uploads.remove(op.account, op.id);
    case 'get':
      return uploads.get(op.account, op.id);
  }
}

const uploadSnapshot = ({ uploads }: Storage): Promise<unknown> =>
  Promise.all([alice, carol].map((account) => uploads.list(account)));

describe('sqlite storage: agrees with memory storage', () => {
  it('gives the same results and ends in the same state for random operations (property)', () =>
    fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 40 }), async (operations) => {
        const memory = createMemoryStorage();
        const sqlite = await openSqliteStorage(freshFile());
        try {
          for (const op of operations) {
            assert.deepEqual(await apply(sqlite, op), await apply(memory, op), op.kind);
          }
          assert.deepEqual(await snapshot(sqlite), await snapshot(memory));
        } finally {
          await sqlite.close();
        }
      }),
      { numRuns: 60 },
    ));

  it('gives the same results and ends in the same state for random OMEMO operations (property)', () =>
    fc.assert(
      fc.asyncProperty(fc.array(omemoOperation, { maxLength: 40 }), async (operations) => {
        const memory = createMemoryStorage();
        const sqlite = await openSqliteStorage(freshFile());
        try {
          for (const op of operations) {
            assert.deepEqual(await applyOmemo(sqlite, op), await applyOmemo(memory, op), op.kind);
          }
          assert.deepEqual(await omemoSnapshot(sqlite), await omemoSnapshot(memory));
        } finally {
          await sqlite.close();
        }
      }),
      { numRuns: 60 },
    ));

  it('gives the same results and ends in the same state for random upload operations (property)', () =>
    fc.assert(
      fc.asyncProperty(fc.array(uploadOperation, { maxLength: 30 }), async (operations) => {
        const memory = createMemoryStorage();
        const sqlite = await openSqliteStorage(freshFile());
        try {
          for (const op of operations) {
            assert.deepEqual(await applyUpload(sqlite, op), await applyUpload(memory, op), op.kind);
          }
          assert.deepEqual(await uploadSnapshot(sqlite), await uploadSnapshot(memory));
        } finally {
          await sqlite.close();
        }
      }),
      { numRuns: 60 },
    ));
});
