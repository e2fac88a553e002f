// iOS and Android keep Hush's storage in SQLite through expo-sqlite, in the app's private data
// folder. The queries and the schema are core's (@hush/core/storage/sql), the same the CLI runs on
// node:sqlite; expo-sqlite-driver.ts adapts expo-sqlite to core's SqlDriver. The password is not
// here but in the keystore.
import { deleteDatabaseAsync, openDatabaseAsync } from 'expo-sqlite';
import type { Storage } from '@hush/core';
import { openSqlStorage } from '@hush/core/storage/sql';
import { expoSqliteDriver } from './expo-sqlite-driver';

const DATABASE = 'hush.db';

export async function openNativeStorage(): Promise<Storage> {
  const db = await openDatabaseAsync(DATABASE);
  // WAL: readers do not block the writer and a commit is one append; synchronous stays FULL, so a
  // committed outbox entry survives a power cut ("persisted before sending").
  await db.execAsync('PRAGMA journal_mode = WAL');
  return openSqlStorage(expoSqliteDriver(db));
}

export function deleteNativeStorage(): Promise<void> {
  return deleteDatabaseAsync(DATABASE);
}
