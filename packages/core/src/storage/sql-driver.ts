// What core's SQL storage (sql.ts) needs from a SQLite connection, and the one queue every call of
// it goes through. Each platform brings the connection: node:sqlite in @hush/storage-node,
// expo-sqlite in the app (sqlite.native.ts).

export type SqlValue = string | number | null | Uint8Array;

/** A result row: column name to value (TEXT a string, INTEGER a number, BLOB a Uint8Array, NULL null). */
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * The few calls of a SQLite connection the storage makes; expo-sqlite's async API has them all, and
 * node:sqlite's synchronous one fits behind settled promises. Every call returns new rows and new
 * Uint8Arrays (both drivers do): the storage hands them on to its callers without copying again.
 */
export interface SqlDriver {
  /** Runs SQL that has neither parameters nor results (pragmas, migrations, BEGIN and COMMIT). */
  exec(sql: string): Promise<void>;
  /** Runs one statement with `?` parameters; resolves with how many rows it changed. */
  run(sql: string, params: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs one query with `?` parameters; resolves with its rows. */
  all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs one query with `?` parameters; resolves with its first row, if any. */
  get(sql: string, params: readonly SqlValue[]): Promise<SqlRow | undefined>;
  close(): Promise<void>;
}

/**
 * The connection is asynchronous, so two calls could interleave their statements (another call's
 * write between this one's check and write, or inside its transaction). Every storage call
 * therefore takes a turn on one queue, and multi-statement writes are also one SQL transaction, so
 * a crash never keeps half of one. BEGIN IMMEDIATE takes the write lock at once: another process on
 * the same file (a second CLI invocation) waits for it instead of failing halfway.
 */
export class SqlQueue {
  readonly #driver: SqlDriver;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  turn<T>(work: (driver: SqlDriver) => Promise<T>): Promise<T> {
    const result = this.#tail.then(() => work(this.#driver));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  transaction<T>(work: (driver: SqlDriver) => Promise<T>): Promise<T> {
    return this.turn((driver) => inTransaction(driver, work));
  }

  get(sql: string, params: readonly SqlValue[]): Promise<SqlRow | undefined> {
    return this.turn((driver) => driver.get(sql, params));
  }

  all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.turn((driver) => driver.all(sql, params));
  }

  async write(sql: string, params: readonly SqlValue[]): Promise<void> {
    await this.turn((driver) => driver.run(sql, params));
  }

  /** Runs one statement; resolves with whether it changed any row. */
  async changed(sql: string, params: readonly SqlValue[]): Promise<boolean> {
    return (await this.turn((driver) => driver.run(sql, params))).changes > 0;
  }
}

export async function inTransaction<T>(
  driver: SqlDriver,
  work: (driver: SqlDriver) => Promise<T>,
): Promise<T> {
  await driver.exec('BEGIN IMMEDIATE');
  let result: T;
  try {
    result = await work(driver);
  } catch (error) {
    // SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR); the error that
    // matters is the first one, not ROLLBACK's "no transaction is active".
    await driver.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await driver.exec('COMMIT');
  return result;
}

// Column readers. A value of the wrong type means a database this code did not write: fail loudly.

export function text(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`storage: ${column} is not text`);
  return value;
}

export function optionalText(row: SqlRow, column: string): string | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : text(row, column);
}

export function numeric(row: SqlRow, column: string): number {
  const value = row[column];
  // A driver may read INTEGERs as bigints; every integer stored here fits a double.
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') throw new TypeError(`storage: ${column} is not a number`);
  return value;
}

export function bytes(row: SqlRow, column: string): Uint8Array {
  const value = row[column];
  if (!(value instanceof Uint8Array)) throw new TypeError(`storage: ${column} is not a blob`);
  // A driver's fresh array is already the caller's own copy (see SqlDriver); only a view into a
  // larger buffer or a subclass (a Buffer) is copied, so a 10 MB ciphertext is not copied twice.
  const own =
    Object.getPrototypeOf(value) === Uint8Array.prototype &&
    value.byteOffset === 0 &&
    value.byteLength === value.buffer.byteLength;
  return own ? value : new Uint8Array(value);
}

export function optionalBytes(row: SqlRow, column: string): Uint8Array | undefined {
  const value = row[column];
  return value === null || value === undefined ? undefined : bytes(row, column);
}
