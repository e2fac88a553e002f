// expo-sqlite's asynchronous API as core's SqlDriver, apart from the module itself so that Node can
// test it: sqlite.native.ts hands it the real database (the type check holds expo-sqlite's API to
// this interface when the SDK moves), expo-sqlite-driver.test.ts one on node:sqlite that answers
// as expo-sqlite does.
import type { SqlDriver, SqlRow, SqlValue } from '@hush/core/storage/sql';

/** The calls of expo-sqlite's SQLiteDatabase the storage makes. */
export interface ExpoSqliteDatabase {
  execAsync(source: string): Promise<void>;
  runAsync(source: string, params: SqlValue[]): Promise<{ changes: number }>;
  getAllAsync<T>(source: string, params: SqlValue[]): Promise<T[]>;
  /** Resolves with null, not undefined, when there is no row. */
  getFirstAsync<T>(source: string, params: SqlValue[]): Promise<T | null>;
  closeAsync(): Promise<void>;
}

export function expoSqliteDriver(db: ExpoSqliteDatabase): SqlDriver {
  return {
    exec: (sql) => db.execAsync(sql),
    run: async (sql, params) => {
      const result = await db.runAsync(sql, [...params]);
      return { changes: result.changes };
    },
    all: (sql, params) => db.getAllAsync<SqlRow>(sql, [...params]),
    get: async (sql, params) => (await db.getFirstAsync<SqlRow>(sql, [...params])) ?? undefined,
    close: () => db.closeAsync(),
  };
}
