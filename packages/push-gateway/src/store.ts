// The gateway's registrations, in a small SQLite file (node:sqlite) so they survive restarts. A row
// holds a node, its secret, where to send a wake-up and the words a phone shows for it; never the
// account it belongs to. Schema changes only add: a column added later is nullable, and a file
// made before it gains it when opened (ALTER TABLE ... ADD COLUMN), its rows reading as without.
import { DatabaseSync } from 'node:sqlite';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Provider, RegisterRequest, WakeUpWords } from './protocol.ts';

export interface Registration {
  readonly node: string;
  readonly secret: string;
  readonly provider: Provider;
  readonly endpoint: string;
  readonly keys?: { readonly p256dh: string; readonly auth: string };
  /** What a phone shows for a wake-up; English when the device gave none. */
  readonly words?: WakeUpWords;
  readonly createdAt: number;
}

interface Row {
  node: string;
  secret: string;
  provider: string;
  endpoint: string;
  p256dh: string | null;
  auth: string | null;
  created_at: number;
  words_title: string | null;
  words_body: string | null;
}

function fromRow(row: Row): Registration {
  return {
    node: row.node,
    secret: row.secret,
    provider: row.provider as Provider,
    endpoint: row.endpoint,
    ...(row.p256dh && row.auth ? { keys: { p256dh: row.p256dh, auth: row.auth } } : {}),
    ...(row.words_title && row.words_body
      ? { words: { title: row.words_title, body: row.words_body } }
      : {}),
    createdAt: row.created_at,
  };
}

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Columns added after the first release, with their types: a file made before gains them. */
const ADDED_COLUMNS: readonly (readonly [string, string])[] = [
  ['words_title', 'TEXT'],
  ['words_body', 'TEXT'],
];

export class RegistrationStore {
  readonly #db: DatabaseSync;

  /** `path` is a file, or ':memory:'. */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS registrations (
        node TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        provider TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        p256dh TEXT,
        auth TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS registrations_endpoint ON registrations (endpoint);
    `);
    const columns = new Set(
      (this.#db.prepare('PRAGMA table_info(registrations)').all() as { name: string }[]).map(
        (column) => column.name,
      ),
    );
    for (const [name, type] of ADDED_COLUMNS)
      if (!columns.has(name)) this.#db.exec(`ALTER TABLE registrations ADD COLUMN ${name} ${type}`);
  }

  /**
   * A new node and secret for an endpoint. One endpoint has one registration: registering it again
   * (a reinstalled app, a second enable) replaces the old one, so a device is never woken twice.
   */
  register(request: RegisterRequest, now = Date.now()): Registration {
    const registration: Registration = {
      node: token(16),
      secret: token(24),
      provider: request.provider,
      endpoint: request.endpoint,
      ...(request.keys ? { keys: request.keys } : {}),
      ...(request.words ? { words: request.words } : {}),
      createdAt: now,
    };
    this.#db.exec('BEGIN');
    try {
      this.#db.prepare('DELETE FROM registrations WHERE endpoint = ?').run(request.endpoint);
      this.#db
        .prepare(
          'INSERT INTO registrations (node, secret, provider, endpoint, p256dh, auth, created_at, words_title, words_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          registration.node,
          registration.secret,
          registration.provider,
          registration.endpoint,
          request.keys?.p256dh ?? null,
          request.keys?.auth ?? null,
          now,
          request.words?.title ?? null,
          request.words?.body ?? null,
        );
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    return registration;
  }

  get(node: string): Registration | undefined {
    const row = this.#db.prepare('SELECT * FROM registrations WHERE node = ?').get(node) as
      Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The registration of `node` if `secret` is its secret (compared in constant time). */
  authorize(node: string, secret: string | undefined): Registration | undefined {
    const registration = this.get(node);
    if (!registration || secret === undefined) return undefined;
    const expected = Buffer.from(registration.secret);
    const given = Buffer.from(secret);
    return expected.length === given.length && timingSafeEqual(expected, given)
      ? registration
      : undefined;
  }

  remove(node: string): boolean {
    return this.#db.prepare('DELETE FROM registrations WHERE node = ?').run(node).changes > 0;
  }

  count(): number {
    const row = this.#db.prepare('SELECT count(*) AS n FROM registrations').get() as { n: number };
    return row.n;
  }

  close(): void {
    this.#db.close();
  }
}
