// iOS and Android keep Hush's storage in SQLite through expo-sqlite, in the app's private data
// folder. The queries and the schema are core's (@hush/core/storage/sql), the same the CLI runs on
// node:sqlite; this file adapts expo-sqlite to core's SqlDriver. The password is not here but in the
// keystore.
import { deleteDatabaseAsync, openDatabaseAsync } from 'expo-sqlite';
import type { Storage } from '@hush/core';
import { openSqlStorage, type SqlRow } from '@hush/core/storage/sql';

const DATABASE = 'hush.db';

export async function openNativeStorage(): Promise<Storage> {
  const db = await openDatabaseAsync(DATABASE);
  // WAL: readers do not block the writer and a commit is one append; synchronous stays FULL, so a
  // committed outbox entry survives a power cut ("persisted before sending").
  await db.execAsync('PRAGMA journal_mode = WAL');
  return openSqlStorage({
    exec: (sql) => db.execAsync(sql),
    run: async (sql, params) => {
      const result = await db.runAsync(sql, [...params]);
      return { changes: result.changes };
    },
    all: (sql, params) => db.getAllAsync<SqlRow>(sql, [...params]),
    get: async (sql, params) => (await db.getFirstAsync<SqlRow>(sql, [...params])) ?? undefined,
    close: () => db.closeAsync(),
  });
}

export function deleteNativeStorage(): Promise<void> {
  return deleteDatabaseAsync(DATABASE);
}
