// Pending uploads in SQLite (table pending_uploads, sql-schema.ts migration 4; the file's
// description, 6): the ciphertext sits in the row beside its key and IV; seq keeps the order of
// putting.
import type { PendingUpload, UploadChanges, UploadStore } from './types.ts';
import { bytes, numeric, optionalText, text, type SqlQueue, type SqlRow } from './sql-driver.ts';
import { FILE_COLUMNS, fileOf, fileValues } from './sql-file.ts';

const PUT = `INSERT INTO pending_uploads (id, account, peer, ciphertext, key, iv, created_at,
    attempts, url, ${FILE_COLUMNS})
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (account, id) DO UPDATE SET peer = excluded.peer,
    ciphertext = excluded.ciphertext, key = excluded.key, iv = excluded.iv,
    created_at = excluded.created_at, attempts = excluded.attempts, url = excluded.url,
    file_name = excluded.file_name, file_media_type = excluded.file_media_type,
    file_size = excluded.file_size, file_sha256 = excluded.file_sha256,
    file_duration_ms = excluded.file_duration_ms`;
// Names only the columns that change, so the ciphertext is not handed to SQLite again. SQLite still
// reads it to rebuild the row, and writes its pages again only when the row's size changes (the URL
// arrives; attempts goes from 1 to 2): bench/storage.ts counts the pages.
const UPDATE = `UPDATE pending_uploads SET attempts = COALESCE(?, attempts), url = COALESCE(?, url)
  WHERE account = ? AND id = ?`;

function toUpload(row: SqlRow): PendingUpload {
  const url = optionalText(row, 'url');
  const file = fileOf(row);
  return {
    id: text(row, 'id'),
    account: text(row, 'account'),
    peer: text(row, 'peer'),
    ciphertext: bytes(row, 'ciphertext'),
    key: bytes(row, 'key'),
    iv: bytes(row, 'iv'),
    createdAt: numeric(row, 'created_at'),
    attempts: numeric(row, 'attempts'),
    ...(url !== undefined && { url }),
    ...(file !== undefined && { file }),
  };
}

export class SqlUploadStore implements UploadStore {
  readonly #queue: SqlQueue;

  constructor(queue: SqlQueue) {
    this.#queue = queue;
  }

  put(upload: PendingUpload): Promise<void> {
    return this.#queue.write(PUT, [
      upload.id,
      upload.account,
      upload.peer,
      upload.ciphertext,
      upload.key,
      upload.iv,
      upload.createdAt,
      upload.attempts,
      upload.url ?? null,
      ...fileValues(upload.file),
    ]);
  }

  async get(account: string, id: string): Promise<PendingUpload | undefined> {
    const row = await this.#queue.get(
      'SELECT * FROM pending_uploads WHERE account = ? AND id = ?',
      [account, id],
    );
    return row && toUpload(row);
  }

  update(account: string, id: string, changes: UploadChanges): Promise<boolean> {
    return this.#queue.changed(UPDATE, [
      changes.attempts ?? null,
      changes.url ?? null,
      account,
      id,
    ]);
  }

  remove(account: string, id: string): Promise<boolean> {
    return this.#queue.changed('DELETE FROM pending_uploads WHERE account = ? AND id = ?', [
      account,
      id,
    ]);
  }

  async list(account: string): Promise<PendingUpload[]> {
    const rows = await this.#queue.all(
      'SELECT * FROM pending_uploads WHERE account = ? ORDER BY created_at, seq',
      [account],
    );
    return rows.map(toUpload);
  }
}
