// The gateway's registrations, in a small SQLite file (node:sqlite) so they survive restarts. A row
// holds a node, its secret and where to send a wake-up; never the account it belongs to.
import { DatabaseSync } from 'node:sqlite';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Provider, RegisterRequest } from './protocol.ts';

export interface Registration {
  readonly node: string;
  readonly secret: string;
  readonly provider: Provider;
  readonly endpoint: string;
  readonly keys?: { readonly p256dh: string; readonly auth: string };
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
}

function fromRow(row: Row): Registration {
  return {
    node: row.node,
    secret: row.secret,
    provider: row.provider as Provider,
    endpoint: row.endpoint,
    ...(row.p256dh && row.auth ? { keys: { p256dh: row.p256dh, auth: row.auth } } : {}),
    createdAt: row.created_at,
  };
}

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

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
      createdAt: now,
    };
    this.#db.exec('BEGIN');
    try {
      this.#db.prepare('DELETE FROM registrations WHERE endpoint = ?').run(request.endpoint);
      this.#db
        .prepare(
          'INSERT INTO registrations (node, secret, provider, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          registration.node,
          registration.secret,
          registration.provider,
          registration.endpoint,
          request.keys?.p256dh ?? null,
          request.keys?.auth ?? null,
          now,
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
