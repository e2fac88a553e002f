export { nodeSqlDriver, openPrivateDatabase, openSqliteStorage } from './sqlite.ts';
