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
  type Storage,
  type StoredMessage,
} from '@hush/core';
import {
  allMessages,
  collidingMessage,
  message,
  storageContract,
} from '@hush/core/storage/contract';
import { openSqliteStorage } from './sqlite.ts';
import { migrate, migrations, schemaVersion } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-storage-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `${++files}.sqlite`);

storageContract('sqlite storage', () => openSqliteStorage(freshFile()));

const alice = 'alice@hush.test';
const bob = 'bob@hush.test';

function inspect<T>(file: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

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
      nextAttemptAt: 20,
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
    assert.equal(
      inspect(file, (db) => schemaVersion(db)),
      migrations.length,
    );
  });

  it('uses WAL and a file only its owner can read', async () => {
    const file = freshFile();
    await (await openSqliteStorage(file)).close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const mode = inspect(file, (db) => db.prepare('PRAGMA journal_mode').get()?.journal_mode);
    assert.equal(mode, 'wal');
  });

  it('migrates a database created at schema version 1', async () => {
    const file = freshFile();
    inspect(file, (db) => {
      assert.equal(migrate(db, 1), 1);
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
        nextAttemptAt: 1,
      });
      assert.equal((await storage.outbox.list(alice)).length, 1);
    } finally {
      await storage.close();
    }
    assert.equal(
      inspect(file, (db) => schemaVersion(db)),
      migrations.length,
    );
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
      nextAttemptAt: 1,
    });
    await first.close();
    const future = migrations.length + 5;
    inspect(file, (db) => {
      // What a later Hush might have added under the rules in schema.ts.
      db.exec(`ALTER TABLE accounts ADD COLUMN avatar TEXT;
        ALTER TABLE messages ADD COLUMN reaction TEXT;
        ALTER TABLE messages ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN priority INTEGER;
        CREATE TABLE contacts (jid TEXT PRIMARY KEY);
        UPDATE accounts SET avatar = 'avatar.png';
        UPDATE messages SET reaction = '👍';
        UPDATE outbox SET priority = 3;`);
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
        nextAttemptAt: 9,
      });
      assert.equal(await storage.outbox.update(alice, 'e', { attempts: 2 }), true);
    } finally {
      await storage.close();
    }
    inspect(file, (db) => {
      assert.equal(schemaVersion(db), future, 'an older version never lowers the version');
      assert.equal(db.prepare('SELECT avatar FROM accounts').get()?.avatar, 'avatar.png');
      assert.equal(
        db.prepare("SELECT reaction FROM messages WHERE id = 'm1'").get()?.reaction,
        '👍',
      );
      assert.equal(db.prepare('SELECT priority FROM outbox').get()?.priority, 3);
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
});
