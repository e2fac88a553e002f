// Core's storage contract against the app's SQLite storage, on node:sqlite standing in for
// expo-sqlite: both are SQLite, and the adapter below is as thin as sqlite.native.ts's.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { storageContract } from '@hush/core/storage/contract';
import { openSqlStorage, type SqlConnection } from './sql.ts';

function nodeConnection(): SqlConnection {
  const db = new DatabaseSync(':memory:');
  return {
    exec: async (sql) => db.exec(sql),
    run: async (sql, params) => {
      const result = db.prepare(sql).run(...(params as SQLInputValue[]));
      return { changes: Number(result.changes) };
    },
    all: async (sql, params) => db.prepare(sql).all(...(params as SQLInputValue[])),
    close: async () => db.close(),
  };
}

storageContract('SQLite storage (app)', () => openSqlStorage(nodeConnection()));
