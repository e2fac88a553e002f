// The SQLite schema of Hush storage is core's, shared with @hush/storage-node, so a database moves
// between the CLI and the app unchanged.
export { migrations } from '@hush/core/storage/sql-schema';
