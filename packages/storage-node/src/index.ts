export { openSqliteStorage } from './sqlite.ts';
export { migrate, migrations, schemaVersion } from './schema.ts';
