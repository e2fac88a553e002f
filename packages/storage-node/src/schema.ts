// How a node:sqlite database reaches the shared schema (@hush/core/storage/sql-schema, whose rules
// hold here: migrations only add).
import type { DatabaseSync } from 'node:sqlite';
import { migrations } from '@hush/core/storage/sql-schema';

export { migrations };

/** The database's schema version: how many migrations it has, 0 for a new database. */
export function schemaVersion(db: DatabaseSync): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get();
  return typeof row?.version === 'number' ? row.version : 0;
}

/**
 * Applies the migrations the database lacks, up to `target` (all of them unless a test asks for an
 * older schema), in one transaction: a crash leaves the old version, never half of a new one.
 * BEGIN IMMEDIATE takes the write lock before reading the version, so two processes opening the
 * same file cannot both migrate it. Returns the version the database is at, which is above the
 * known migrations for a database written by a newer Hush.
 */
export function migrate(db: DatabaseSync, target: number = migrations.length): number {
  schemaVersion(db);
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = schemaVersion(db);
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    for (let version = current + 1; version <= target; version++) {
      const sql = migrations[version - 1];
      if (sql === undefined) throw new RangeError(`no migration ${version}`);
      db.exec(sql);
      record.run(version, Date.now());
    }
    db.exec('COMMIT');
    return Math.max(current, target);
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
