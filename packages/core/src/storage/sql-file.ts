// A file message's description in SQL (sql-schema.ts migration 6): the same five columns in
// messages and pending_uploads, all NULL when there is none.
import type { FileDescription } from './types.ts';
import { bytes, numeric, optionalText, text, type SqlRow, type SqlValue } from './sql-driver.ts';

export const FILE_COLUMNS = 'file_name, file_media_type, file_size, file_sha256, file_duration_ms';

/** The values of FILE_COLUMNS, in their order. */
export function fileValues(file: FileDescription | undefined): SqlValue[] {
  if (!file) return [null, null, null, null, null];
  return [file.name, file.mediaType, file.size, file.sha256, file.durationMs ?? null];
}

/** The description in a row; none when file_name is NULL (every row from before migration 6). */
export function fileOf(row: SqlRow): FileDescription | undefined {
  if (optionalText(row, 'file_name') === undefined) return undefined;
  const durationMs =
    row.file_duration_ms === null || row.file_duration_ms === undefined
      ? undefined
      : numeric(row, 'file_duration_ms');
  return {
    name: text(row, 'file_name'),
    mediaType: text(row, 'file_media_type'),
    size: numeric(row, 'file_size'),
    sha256: bytes(row, 'file_sha256'),
    ...(durationMs !== undefined && { durationMs }),
  };
}
