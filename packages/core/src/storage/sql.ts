// Hush storage in SQLite, written once for every platform: the queries in sql-*.ts (one file a
// store), the schema in sql-schema.ts, its migration here. A platform hands in a connection
// (SqlDriver, sql-driver.ts): node:sqlite in @hush/storage-node (the CLI), expo-sqlite in the app on
// iOS and Android. The behaviour is core's storage contract (test-utils' storage-contract.ts), which sql.test.ts runs
// against it.
import type { Storage } from './types.ts';
import { migrations } from './sql-schema.ts';
import { SqlAccountStore } from './sql-accounts.ts';
import { inTransaction, numeric, SqlQueue, type SqlDriver } from './sql-driver.ts';
import { SqlMessageStore } from './sql-messages.ts';
import { SqlOmemoStore } from './sql-omemo.ts';
import { SqlOutboxStore } from './sql-outbox.ts';
import { SqlUploadStore } from './sql-uploads.ts';

export type { SqlDriver, SqlRow, SqlValue } from './sql-driver.ts';

/** The database's schema version: how many migrations it has, 0 for a new database. */
export async function schemaVersion(driver: SqlDriver): Promise<number> {
  await driver.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const row = await driver.get('SELECT MAX(version) AS version FROM schema_version', []);
  // NULL (no row yet) is version 0.
  return row?.version === null || row === undefined ? 0 : numeric(row, 'version');
}

/**
 * Applies the migrations the database lacks, up to `target` (all of them unless a test asks for an
 * older schema), in one transaction: a crash leaves the old version, never half of a new one. The
 * version is read again inside the transaction (BEGIN IMMEDIATE holds the write lock), so two
 * processes opening the same file cannot both migrate it. Resolves with the version the database
 * is at, which is above the known migrations for a database written by a newer Hush: that one is
 * left as it is (sql-schema.ts, rule 3).
 */
export async function migrate(
  driver: SqlDriver,
  target: number = migrations.length,
): Promise<number> {
  await schemaVersion(driver);
  return inTransaction(driver, async () => {
    const current = await schemaVersion(driver);
    for (let version = current + 1; version <= target; version++) {
      const sql = migrations[version - 1];
      if (sql === undefined) throw new RangeError(`no migration ${version}`);
      await driver.exec(sql);
      await driver.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [
        version,
        Date.now(),
      ]);
    }
    return Math.max(current, target);
  });
}

/** Storage on an open connection; brings its schema up to date first. */
export async function openSqlStorage(driver: SqlDriver): Promise<Storage> {
  await migrate(driver);
  const queue = new SqlQueue(driver);
  let closed: Promise<void> | undefined;
  return {
    accounts: new SqlAccountStore(queue),
    messages: new SqlMessageStore(queue),
    outbox: new SqlOutboxStore(queue),
    omemo: new SqlOmemoStore(queue),
    uploads: new SqlUploadStore(queue),
    // After the calls already queued; closing twice is harmless.
    close: () => (closed ??= queue.turn((connection) => connection.close())),
  };
}
