export { nodeSqlDriver, openSqliteStorage } from './sqlite.ts';
