export { createPool, withTransaction, type Pool, type PoolClient, type PoolOptions, type Queryable } from './pool';
export type { PreparedStatementLimits } from './prepared-statements';
export { ensureDatabase, dropDatabase, dropRole, provisionDatabaseOwner, type DatabaseOwner } from './database-admin';
export { migrate, type Migration } from './migrate';
export { afterCommit, deferInsert, deferUpdate, scopeOf, transactionMemory, type Column, type TransactionScope } from './deferred-writes';
export { lockedTable, type LockedTable, type LockedTableOptions } from './locked-table';
export { GroupCommit, type GroupCommitOptions, type RunInTransaction } from './group-commit';
