// The profile lock: one holder at a time, across processes, and never stale after a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '@hush/test-utils';
import { tryLockProfile } from './lock.ts';

const lockModule = fileURLToPath(new URL('./lock.ts', import.meta.url));

test('the lock has one holder at a time and is free again when its holder is killed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hush-lock-'));
  try {
    // Another process takes the lock and holds it until killed.
    const holder = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--input-type=module',
        '-e',
        `const { tryLockProfile } = await import(${JSON.stringify(lockModule)});
         console.log(tryLockProfile(${JSON.stringify(dir)}) ? 'held' : 'busy');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let said = '';
    holder.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await until(() => said.includes('held'), 'the other process to hold the lock');
    assert.equal(tryLockProfile(dir), undefined);
    holder.kill('SIGKILL');
    await exited;

    const mine = tryLockProfile(dir);
    assert.ok(mine, 'a dead holder leaves no stale lock');
    assert.equal(tryLockProfile(dir), undefined, 'not twice, even within one process');
    mine.release();
    const again = tryLockProfile(dir);
    assert.ok(again);
    again.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
