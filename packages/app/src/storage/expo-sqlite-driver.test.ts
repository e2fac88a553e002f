// The app's storage on iOS and Android, short of the device: core's storage contract through the
// expo-sqlite adapter, over a database with expo-sqlite's asynchronous API on node:sqlite (both are
// SQLite). What differs from node:sqlite is answered as expo-sqlite answers: no row is null, a
// run reports its changes and last row id.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { storageContract } from '@hush/test-utils/storage-contract';
import { openSqlStorage, type SqlValue } from '@hush/core/storage/sql';
import { expoSqliteDriver, type ExpoSqliteDatabase } from './expo-sqlite-driver.ts';

function expoSqliteOnNode(): ExpoSqliteDatabase & { readonly closed: boolean } {
  const db = new DatabaseSync(':memory:');
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    execAsync: async (source) => void db.exec(source),
    runAsync: async (source, params: SqlValue[]) => {
      const result = db.prepare(source).run(...params);
      return { changes: Number(result.changes), lastInsertRowId: Number(result.lastInsertRowid) };
    },
    getAllAsync: async <T>(source: string, params: SqlValue[]) =>
      db.prepare(source).all(...params) as T[],
    getFirstAsync: async <T>(source: string, params: SqlValue[]) =>
      (db.prepare(source).get(...params) as T | undefined) ?? null,
    closeAsync: async () => {
      db.close();
      closed = true;
    },
  };
}

storageContract('storage on the expo-sqlite driver', () =>
  openSqlStorage(expoSqliteDriver(expoSqliteOnNode())),
);

describe('expo-sqlite driver', () => {
  it('reads no row as undefined, counts changes and closes the database', async () => {
    const db = expoSqliteOnNode();
    const driver = expoSqliteDriver(db);
    await driver.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)');
    assert.equal(await driver.get('SELECT * FROM t WHERE k = ?', ['none']), undefined);
    const bytes = new Uint8Array([1, 2, 3]);
    assert.deepEqual(await driver.run('INSERT INTO t VALUES (?, ?)', ['a', bytes]), { changes: 1 });
    assert.deepEqual(await driver.run('DELETE FROM t WHERE k = ?', ['b']), { changes: 0 });
    const rows = await driver.all('SELECT v FROM t WHERE k = ?', ['a']);
    assert.deepEqual(
      rows.map((row) => row['v']),
      [bytes],
    );
    await driver.close();
    assert.equal(db.closed, true);
  });
});
