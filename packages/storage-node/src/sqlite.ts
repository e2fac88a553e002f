// Hush storage in a SQLite file on Node, through Node's built-in node:sqlite (no native module to
// build). The queries and the schema are core's (@hush/core/storage/sql, the same the app runs on
// expo-sqlite); this file is the Node side: the file and its mode, the pragmas, and node:sqlite's
// synchronous calls behind the driver's promises. sqlite.test.ts runs core's storage contract on it.
import { closeSync, openSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Storage } from '@hush/core';
import { openSqlStorage, type SqlDriver } from '@hush/core/storage/sql';

/**
 * A node:sqlite database as core's SqlDriver. node:sqlite works synchronously: each call has done
 * its work when it returns, and resolves at once. Statements are prepared once and kept: core's
 * storage runs a fixed set of SQL strings, and preparing is most of what a small query costs.
 */
export function nodeSqlDriver(db: DatabaseSync): SqlDriver {
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    exec: async (sql) => {
      db.exec(sql);
    },
    run: async (sql, params) => ({ changes: Number(prepared(sql).run(...params).changes) }),
    // node:sqlite reads every BLOB into a new Uint8Array, as SqlDriver asks.
    all: async (sql, params) => prepared(sql).all(...params),
    get: async (sql, params) => prepared(sql).get(...params),
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}

/**
 * The SQLite database in the file at `path` (or ':memory:'), the file created readable by its owner
 * only (0600) when it does not exist yet; SQLite gives its -wal and -shm files the same mode.
 */
export function openPrivateDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') {
    try {
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return new DatabaseSync(path);
}

/**
 * Opens (creating if needed) the storage in the SQLite file at `path` and brings its schema up to
 * date. A new file is created readable by its owner only (0600): it holds messages, OMEMO private
 * keys and, for the CLI, its saved login (never the password).
 */
export async function openSqliteStorage(path: string): Promise<Storage> {
  const db = openPrivateDatabase(path);
  try {
    // WAL: readers do not block the writer, and a commit is one append. synchronous stays at its
    // FULL default, so a committed outbox entry survives a power cut, as "persisted before
    // sending" requires.
    db.exec('PRAGMA journal_mode = WAL');
    // Wait for another process's write lock (a second CLI invocation) instead of failing at once.
    db.exec('PRAGMA busy_timeout = 5000');
    return await openSqlStorage(nodeSqlDriver(db));
  } catch (error) {
    db.close();
    throw error;
  }
}
