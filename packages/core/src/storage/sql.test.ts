// Core's SQLite storage on node:sqlite standing in for expo-sqlite (both are SQLite): the storage
// contract, and what only an asynchronous driver can get wrong — calls interleaving, and
// transactions that fail halfway. @hush/storage-node's tests run it again on files.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import {
  fileDescription,
  message,
  omemoPreKey,
  pendingUpload,
  storageContract,
} from '@hush/test-utils/storage-contract';
import { migrations } from './sql-schema.ts';
import { migrate, openSqlStorage, schemaVersion, type SqlDriver } from './sql.ts';

/** An in-memory database behind a driver as thin as the app's expo-sqlite one. */
function memoryDriver(db = new DatabaseSync(':memory:')): SqlDriver {
  return {
    exec: async (sql) => db.exec(sql),
    run: async (sql, params) => ({ changes: Number(db.prepare(sql).run(...params).changes) }),
    all: async (sql, params) => db.prepare(sql).all(...params),
    get: async (sql, params) => db.prepare(sql).get(...params),
    close: async () => db.close(),
  };
}

storageContract('SQL storage', () => openSqlStorage(memoryDriver()));

const alice = 'alice@hush.test';
const bob = 'bob@hush.test';

describe('SQL storage on an asynchronous driver', () => {
  it('lets no call interleave with another: copies added at once are stored once', async () => {
    const storage = await openSqlStorage(memoryDriver());
    // The same message by origin-id, from carbons, the archive and live, all at the same moment.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        storage.messages.add(message({ id: `copy${i}`, originId: 'o1', timestamp: i })),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.duplicate),
      Array.from({ length: 20 }, (_, i) => i > 0),
    );
    assert.deepEqual(
      (await storage.messages.history(alice, bob, { limit: 50 })).map((m) => m.id),
      ['copy0'],
    );
    await storage.close();
  });

  it('rolls a failed transaction back and goes on with the next call', async () => {
    const db = new DatabaseSync(':memory:');
    let failing = true;
    const driver = memoryDriver(db);
    const storage = await openSqlStorage({
      ...driver,
      run: (sql, params) =>
        failing && sql.startsWith('INSERT INTO omemo_prekeys') && params[1] === 3
          ? Promise.reject(new Error('disk I/O error'))
          : driver.run(sql, params),
    });
    const batch = [1, 2, 3, 4].map((keyId) => omemoPreKey(keyId));
    // One batch is one transaction: the keys before the failing one go too.
    await assert.rejects(storage.omemo.putPreKeys(alice, batch), /disk I\/O error/);
    assert.equal(db.isTransaction, false);
    assert.deepEqual(await storage.omemo.listPreKeys(alice), []);
    failing = false;
    await storage.omemo.putPreKeys(alice, batch);
    assert.deepEqual(await storage.omemo.listPreKeys(alice), batch);
    await storage.close();
  });

  it('reports the first error when SQLite has already rolled back itself', async () => {
    const db = new DatabaseSync(':memory:');
    const driver = memoryDriver(db);
    const storage = await openSqlStorage({
      ...driver,
      // As after SQLITE_FULL: the statement fails and the transaction is gone, so ROLLBACK fails.
      run: async (sql, params) => {
        if (!sql.startsWith('INSERT INTO messages')) return driver.run(sql, params);
        db.exec('ROLLBACK');
        throw new Error('database or disk is full');
      },
    });
    await assert.rejects(storage.messages.add(message({ id: 'm1' })), /disk is full/);
    assert.equal(await storage.messages.get(alice, 'm1'), undefined);
    await storage.close();
  });

  it('closes once, after the calls already made', async () => {
    const db = new DatabaseSync(':memory:');
    const storage = await openSqlStorage(memoryDriver(db));
    const added = storage.messages.add(message({ id: 'm1' }));
    const closed = storage.close();
    assert.equal((await added).duplicate, false);
    await closed;
    await storage.close();
    assert.equal(db.isOpen, false);
  });
});

describe('SQL storage: migrations', () => {
  it('brings a database to the newest schema once, and keeps a newer one as it is', async () => {
    const db = new DatabaseSync(':memory:');
    const driver = memoryDriver(db);
    assert.equal(await schemaVersion(driver), 0);
    assert.equal(await migrate(driver, 2), 2);
    assert.equal(await migrate(driver), migrations.length);
    assert.equal(await migrate(driver), migrations.length);
    const applied = db.prepare('SELECT version FROM schema_version ORDER BY version').all();
    assert.deepEqual(
      applied.map((row) => row.version),
      migrations.map((_, i) => i + 1),
    );
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(99);
    assert.equal(await migrate(driver), 99);
    assert.equal(await schemaVersion(driver), 99);
  });

  it("reads messages and uploads written before a file's description was kept as having none", async () => {
    const db = new DatabaseSync(':memory:');
    await migrate(memoryDriver(db), 5);
    db.prepare(
      `INSERT INTO messages (id, account, peer, direction, body, timestamp, state, encrypted)
       VALUES ('old', ?, ?, 'in', 'aesgcm://h/x/encrypted#00', 1000, 'received', 1)`,
    ).run(alice, bob);
    const old = pendingUpload({ id: 'u-old' });
    db.prepare(
      `INSERT INTO pending_uploads (id, account, peer, ciphertext, key, iv, created_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(old.id, alice, bob, old.ciphertext, old.key, old.iv, old.createdAt, old.attempts);
    const storage = await openSqlStorage(memoryDriver(db));
    assert.equal(await schemaVersion(memoryDriver(db)), migrations.length);
    assert.deepEqual(
      await storage.messages.get(alice, 'old'),
      message({ id: 'old', body: 'aesgcm://h/x/encrypted#00' }),
    );
    assert.deepEqual(await storage.uploads.get(alice, 'u-old'), old);
    const described = message({ id: 'new', timestamp: 2000, file: fileDescription() });
    await storage.messages.add(described);
    assert.deepEqual(await storage.messages.get(alice, 'new'), described);
    await storage.close();
  });

  it('leaves the old version when a migration fails', async () => {
    const db = new DatabaseSync(':memory:');
    const driver = memoryDriver(db);
    await migrate(driver, 1);
    db.exec('CREATE TABLE outbox (x TEXT)'); // what migration 2 is about to create
    await assert.rejects(migrate(driver), /already exists/);
    assert.equal(await schemaVersion(driver), 1);
    const columns = db.prepare('PRAGMA table_info(accounts)').all();
    assert.equal(
      columns.some((c) => c.name === 'mam_last_stanza_id'),
      false,
    );
  });
});
