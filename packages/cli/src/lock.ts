// At most one process works on a profile at a time, so no two ever write one device's OMEMO sessions
// (a Signal session advanced twice from the same state breaks for good) or race over the outbox.
// The lock is an exclusive SQLite transaction on `owner.lock` in the profile folder: SQLite holds it
// with an operating-system file lock, which the system drops when the process ends however it ends,
// so a crashed owner never leaves a stale lock behind. Nothing is ever written to the file.
import { join } from 'node:path';
import { openPrivateDatabase } from '@hush/storage-node';

export interface ProfileLock {
  release(): void;
}

/** Takes the profile's lock, or returns undefined at once when another process holds it. */
export function tryLockProfile(dir: string): ProfileLock | undefined {
  const db = openPrivateDatabase(join(dir, 'owner.lock'));
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (/locked|busy/i.test((error as Error).message)) return undefined;
    throw error;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
