// iOS and Android keep Hush's storage in SQLite through expo-sqlite, in the app's private data
// folder. The queries and the schema are sql.ts's; the password is not here but in the keystore.
import { deleteDatabaseAsync, openDatabaseAsync, type SQLiteBindValue } from 'expo-sqlite';
import type { Storage } from '@hush/core';
import { openSqlStorage } from './sql';

const DATABASE = 'hush.db';

export async function openNativeStorage(): Promise<Storage> {
  const db = await openDatabaseAsync(DATABASE);
  // WAL: readers do not block the writer and a commit is one append; synchronous stays FULL, so a
  // committed outbox entry survives a power cut ("persisted before sending").
  await db.execAsync('PRAGMA journal_mode = WAL');
  return openSqlStorage({
    exec: (sql) => db.execAsync(sql),
    run: async (sql, params) => {
      const result = await db.runAsync(sql, params as SQLiteBindValue[]);
      return { changes: result.changes };
    },
    all: (sql, params) => db.getAllAsync<Record<string, unknown>>(sql, params as SQLiteBindValue[]),
    close: () => db.closeAsync(),
  });
}

export function deleteNativeStorage(): Promise<void> {
  return deleteDatabaseAsync(DATABASE);
}
